"""Every write of the document system goes through here: permission (hopnhat.org.access), the step rule, one
append-only history event and the audit entry, in one transaction. Staff views, the CLI, the demo and the engine's
importers (for what they share: numbers, events) call these functions; nothing else writes documents.

Incoming (văn bản đến): văn thư registers it (số đến, the duplicate check, then the agency's routing rules) → a
leader assigns departments and people as chủ trì / phối hợp / để biết with a due date in working days → opinions and
directions (ý kiến chỉ đạo) → done, with the result document linked.

Outgoing (văn bản đi): draft → review → approve → sign → number (cấp số đi) → issue → send (axis, post, paper, or
to an agency on this platform, which then registers the same document as incoming: one document, both sides).
Which steps an agency runs and who approves is its Workflow (review may be left out; sign calls
`documents.signing.sign_pdf` when that module exists).

Who: văn thư (doc_clerk) registers, numbers, issues, sends; a leader (doc_leader) assigns, directs, reviews,
approves, signs; officials draft, and give opinions and finish what they (or their department) are assigned. A
unit administrator of the agency's subtree may take every step. Jobs act as "system:<job>".

State secrets (Luật Bảo vệ bí mật nhà nước; QĐ 28/2018 keeps them off e-exchange) stay outside: when the agency
chooses (Workflow.secret_register), a paper secret document gets a line in a separate secret register (number,
date, issuer) and nothing more; any content offered with it is refused with SecretRefused."""

import datetime
import importlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.text import nfc
from hopnhat.core.workdays import add_working_days
from hopnhat.org.access import can_act_on, roles_of
from hopnhat.org.models import Agency, Person
from hopnhat.org.models import Role as OrgRole

from . import lookup, numbers, registers, routing, storage
from .models import (
    Action,
    Assignment,
    Attachment,
    Channel,
    Confidentiality,
    Document,
    DocumentNumber,
    Entry,
    Event,
    Exchange,
    IncomingState,
    Kind,
    OutgoingState,
    Role,
    RoutingRule,
    Workflow,
)

ROUTING_ACTOR = "system:routing"
R = OrgRole
ADMIN = {R.UNIT_ADMIN}
CLERK = {R.DOC_CLERK} | ADMIN
LEADER = {R.DOC_LEADER} | ADMIN
STAFF = {R.OFFICIAL, R.DOC_CLERK, R.DOC_LEADER} | ADMIN
OUTGOING_STEPS = ["review", "approve", "sign", "number", "issue", "send"]
# step → (state it leads to, roles that may take it)
STEP_RULES: dict[str, tuple[str, set]] = {
    "review": (OutgoingState.REVIEWED, LEADER),
    "approve": (OutgoingState.APPROVED, LEADER),
    "sign": (OutgoingState.SIGNED, LEADER),
    "number": (OutgoingState.NUMBERED, CLERK),
    "issue": (OutgoingState.ISSUED, CLERK),
    "send": (OutgoingState.SENT, CLERK),
}
STEP_STATE_ORDER = [OutgoingState.DRAFT] + [STEP_RULES[s][0] for s in OUTGOING_STEPS]
# Metadata fields a caller may give (Phụ lục VI), as the Document model names them.
META_FIELDS = ("doc_id", "type_name", "type_abbr", "code_number", "code_notation", "issuer_name", "place",
               "issued_date", "subject", "signer_name", "signer_position", "recipients", "urgency",
               "confidentiality", "page_count", "issued_amount", "reply_due", "field", "language", "description")
SECRET_FIELDS = ("code_number", "code_notation", "issued_date", "issuer_name", "type_name", "type_abbr",
                 "confidentiality")


class DocumentError(ValueError):
    pass


class DuplicateDocument(DocumentError):
    """The document may already be registered; `matches` are the documents it repeats."""

    def __init__(self, message: str, matches: list[Document]):
        super().__init__(message)
        self.matches = matches


class SecretRefused(DocumentError):
    pass


CLASSIFIED_REFUSAL = (
    "Văn bản có nội dung bí mật nhà nước không được quản lý trên hệ thống này (Luật Bảo vệ bí mật nhà nước 2018; "
    "QĐ 28/2018/QĐ-TTg): chỉ ghi sổ số, ký hiệu, ngày và cơ quan ban hành của bản giấy, không nhận trích yếu hay "
    "tệp đính kèm / documents holding state secrets are kept outside this system by law: only a register line "
    "(number, date, issuer) of the paper document is recorded, never its subject or files")


# ---- who may act -------------------------------------------------------------------------------------------------

def _is_system(actor: Any) -> bool:
    if isinstance(actor, str):
        if not actor.startswith("system:"):
            raise ValueError(f"actor {actor!r} must be a user or 'system:<job>'")
        return True
    return False


def _actor_name(actor: Any) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def _person_of(actor: Any) -> Person | None:
    return None if isinstance(actor, str) else getattr(actor, "person", None)


def works_in(actor: Any, agency: Agency, roles: set) -> bool:
    """Holds one of `roles` over `agency` or over one of its departments (a Văn phòng official drafts for the
    UBND; a department head reviews)."""
    return roles_of(actor).filter(role__in=set(roles), agency__path__startswith=agency.path).exists()


def refusal(actor: Any, roles: set, agency: Agency, what: str, en: str, *, below: bool = False) -> str | None:
    """Why `actor` may not act on `agency`'s documents with `roles` (`below`: or on a department's), or None."""
    if _is_system(actor) or can_act_on(actor, agency, set(roles)) or (below and works_in(actor, agency, roles)):
        return None
    names = " hoặc ".join(dict(OrgRole.choices)[r].partition(" (")[0] for r in sorted(roles))
    return (f"Không được {what}: cần vai trò {names} tại “{agency.name}” / you may not {en}: it needs the role "
            f"{' or '.join(sorted(roles))} over agency {agency.code or agency.pk}")


def _check(actor, roles, agency, what, en, below: bool = False) -> None:
    if reason := refusal(actor, roles, agency, what, en, below=below):
        raise PermissionDenied(reason)


def is_assignee(actor: Any, entry: Entry) -> bool:
    """Assigned by name, or a staff member of an assigned department."""
    if _is_system(actor):
        return True
    for a in entry.assignments.select_related("department"):
        if a.user_id == actor.pk or works_in(actor, a.department, STAFF):
            return True
    return False


def workflow(agency: Agency, kind: str = Kind.OUTGOING) -> Workflow | None:
    return Workflow.objects.filter(agency=agency, kind=kind).first()


def steps_of(agency: Agency) -> list[str]:
    flow = workflow(agency)
    steps = [s for s in (flow.steps if flow and flow.steps else OUTGOING_STEPS) if s in STEP_RULES]
    # numbering, issue and sending are never left out: a document without a number has not been issued
    for required in ("approve", "number", "issue", "send"):
        if required not in steps:
            steps.append(required)
    return sorted(steps, key=OUTGOING_STEPS.index)


def next_step(entry: Entry) -> str | None:
    if entry.kind != Kind.OUTGOING or entry.state == OutgoingState.SENT:
        return None
    done = STEP_STATE_ORDER.index(entry.state)
    for step in steps_of(entry.agency):
        if STEP_STATE_ORDER.index(STEP_RULES[step][0]) > done:
            return step
    return None


def step_refusal(actor: Any, entry: Entry, step: str) -> str | None:
    """Why `actor` may not take outgoing `step` on `entry` now, or None."""
    if step != next_step(entry):
        return (f"Văn bản {entry.document}: bước tiếp theo là “{next_step(entry) or '—'}”, không phải “{step}” / the "
                f"next step is {next_step(entry)}, not {step}")
    state, roles = STEP_RULES[step]
    flow = workflow(entry.agency) if step == "approve" and not _is_system(actor) else None
    if flow is not None and flow.approvers.exists():
        # the agency named who approves: they, and only they, whatever their role
        if not flow.approvers.filter(pk=actor.pk, is_active=True).exists():
            return (f"Chỉ người được giao phê duyệt của “{entry.agency.name}” mới phê duyệt / only the agency's "
                    f"designated approvers may approve")
    elif reason := refusal(actor, roles, entry.agency, f"“{step}” văn bản đi", f"take the step {step}",
                           below=step == "review"):   # a department head reviews; the agency's leaders approve
        return reason
    if step == "approve" and not _is_system(actor):
        if entry.created_by == actor.get_username():
            return ("Người soạn thảo không tự phê duyệt văn bản của mình / the drafter may not approve their own "
                    "draft")
    return None


# ---- history -----------------------------------------------------------------------------------------------------

def record_event(document: Document, entry: Entry | None, actor: Any, action: str, *, note: str = "",
                 at: datetime.datetime | None = None, **detail) -> Event:
    agency = entry.agency if entry is not None else document.issuer
    person = _person_of(actor)
    detail = json.loads(json.dumps(detail, cls=DjangoJSONEncoder))
    event = Event.objects.create(
        document=document, entry=entry, at=at or timezone.now(), action=action, actor=_actor_name(actor),
        actor_name=person.full_name if person else "", person=person, agency=agency,
        agency_name=agency.name if agency else "", note=note, detail=detail)
    audit.record(actor, f"documents.{action}", document, document_number=document.number,
                 entry=entry.pk if entry else None,
                 event=event.pk, **detail)
    return event


def _add_numbers(document: Document, entry: Entry | None = None, source_system: str = "hopnhat") -> None:
    if document.number_key:
        DocumentNumber.objects.get_or_create(
            key=document.number_key, scheme=DocumentNumber.Scheme.NOTATION, document=document, entry=None,
            source_system=source_system, defaults={"issuer": document.issuer, "as_written": document.number})
    if document.doc_id:
        DocumentNumber.objects.get_or_create(
            key=lookup.doc_id_key(document.doc_id), scheme=DocumentNumber.Scheme.DOC_ID, document=document,
            entry=None, source_system=source_system, defaults={"as_written": document.doc_id})
    if entry is not None and entry.number:
        DocumentNumber.objects.get_or_create(
            key=str(entry.number), scheme=DocumentNumber.Scheme.REGISTER, document=document, entry=entry,
            source_system=source_system,
            defaults={"year": entry.register.year if entry.register_id else None,
                      "as_written": entry.old_number or str(entry.number), "issuer": entry.agency})


# ---- metadata and attachments ------------------------------------------------------------------------------------

def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    unknown = set(meta) - set(META_FIELDS) - {"number", "issuer"}
    if unknown:
        raise DocumentError(f"trường không có trong siêu dữ liệu văn bản: {', '.join(sorted(unknown))} / unknown "
                            f"metadata fields")
    data = {k: v for k, v in meta.items() if k in META_FIELDS and v not in (None, "")}
    if meta.get("number"):   # "15/QĐ-UBND" in one field
        try:
            parsed = numbers.parse(meta["number"])
        except numbers.NumberError as exc:
            raise DocumentError(str(exc)) from None
        data["code_number"] = parsed.number.zfill(2)
        data["code_notation"] = (f"{parsed.year}/" if parsed.year else "") + parsed.notation
    if data.get("code_notation") and not data.get("type_name"):
        data["type_name"], data["type_abbr"] = numbers.type_of(data["code_notation"].split("/")[-1])
    elif data.get("type_name") and "type_abbr" not in data:
        data["type_abbr"] = numbers.TYPES.get(nfc(data["type_name"]), "")
    issuer = meta.get("issuer")
    if isinstance(issuer, Agency):
        data["issuer"] = issuer
        data.setdefault("issuer_name", issuer.name)
    elif data.get("issuer_name"):
        try:
            found = lookup.resolve_agency(data["issuer_name"])
        except ValidationError:
            found = []
        if len(found) == 1:
            data["issuer"] = found[0]
    return data


def _refuse_secret_content(meta: dict[str, Any], attachments: Iterable) -> None:
    if attachments or any(meta.get(f) for f in set(META_FIELDS) - set(SECRET_FIELDS) - {"doc_id"}):
        raise SecretRefused(CLASSIFIED_REFUSAL)


def attach(actor: Any, document: Document, name: str, data: bytes, *, main: bool = True, entry: Entry | None = None,
           source_system: str = "hopnhat", event: bool = True) -> Attachment:
    """Store a file once by checksum and attach it; StorageError names a broken, encrypted or oversized file and
    nothing is written."""
    if document.is_secret:
        raise SecretRefused(CLASSIFIED_REFUSAL)
    name = nfc(name) or "tep-dinh-kem"
    with transaction.atomic():
        blob, _ = storage.store(name, data)
        attachment, created = Attachment.objects.get_or_create(
            document=document, blob=blob, defaults={"name": name, "main": main, "source_system": source_system})
        if created and blob.text:
            from hopnhat.core.text import fold

            Document.objects.filter(pk=document.pk).update(
                content_text=(document.content_text + " " + fold(blob.text)).strip())
            document.refresh_from_db(fields=["content_text"])
        if created and blob.pages and not document.page_count and main:
            Document.objects.filter(pk=document.pk).update(page_count=blob.pages)
        if created and event:
            record_event(document, entry, actor, Action.ATTACH, note=name, sha256=blob.sha256, size=blob.size)
    return attachment


def _attach_all(actor, document, entry, attachments) -> None:
    for i, (name, data) in enumerate(attachments or ()):
        attach(actor, document, name, data, main=(i == 0), entry=entry)


# ---- incoming ----------------------------------------------------------------------------------------------------

def register_incoming(actor: Any, agency: Agency, meta: dict[str, Any], *, attachments: Iterable = (),
                      at: datetime.datetime | None = None, confirm_duplicate: bool = False,
                      exchange: Exchange | None = None, note: str = "") -> Entry:
    """Vào sổ văn bản đến: the next số đến of the agency's register for this year, the document's metadata, its
    files, the routing rules. A document already held on this platform (the same document ID, or số/ký hiệu +
    issuer) is registered as the same document (one document, a new entry: an exchange between the two sides);
    one this agency already registered raises DuplicateDocument unless `confirm_duplicate`."""
    _check(actor, CLERK, agency, "vào sổ văn bản đến", "register incoming documents")
    if not agency.is_active:
        raise DocumentError(f"“{agency.name}” đã dừng hoạt động từ {agency.closed_on}, không vào sổ văn bản / "
                            f"agency {agency.code} is closed")
    data = _clean_meta(meta)
    at = at or timezone.now()
    secret = int(data.get("confidentiality", 0)) > Confidentiality.NONE
    if secret:
        return _register_secret_line(actor, agency, data, attachments, at)
    if exchange is None and not (data.get("code_notation") or data.get("subject")):
        raise DocumentError("cần số, ký hiệu hoặc trích yếu của văn bản / a number and notation or a subject is "
                            "needed")
    with transaction.atomic():
        if exchange is not None:
            matches = [exchange.document]
        else:
            matches = lookup.duplicates(doc_id=data.get("doc_id", ""),
                                        number_key=numbers.key(data.get("code_number", ""),
                                                               data.get("code_notation", "")),
                                        issuer=data.get("issuer"), issuer_name=data.get("issuer_name", ""),
                                        issued_date=data.get("issued_date"))
        here = [d for d in matches if d.entries.filter(agency=agency, kind=Kind.INCOMING).exists()]
        if here and not confirm_duplicate:
            raise DuplicateDocument(
                "Văn bản có thể đã vào sổ: " + "; ".join(
                    f"{d.number or d.doc_id} của {d.issuer_name} (số đến "
                    f"{', '.join(str(e.number) for e in d.entries.filter(agency=agency, kind=Kind.INCOMING))})"
                    for d in here)
                + " / the document may already be registered (same document ID, or same number, notation and "
                  "issuer)", here)
        if matches and not here:
            document = matches[0]
        else:
            document = Document(**{k: v for k, v in data.items()})
            document.save()
        register, number = registers.next_number(agency, Kind.INCOMING, timezone.localdate(at).year)
        flow = workflow(agency, Kind.INCOMING)
        entry = Entry.objects.create(
            document=document, register=register, agency=agency, kind=Kind.INCOMING, number=number,
            registered_at=at, state=IncomingState.REGISTERED, created_by=_actor_name(actor),
            due_date=add_working_days(timezone.localdate(at), flow.assign_days) if flow else None)
        _add_numbers(document, entry)
        record_event(document, entry, actor, Action.REGISTER, at=at, note=note, number=number,
                     year=register.year, duplicate_of=[d.pk for d in here], same_document=bool(matches and not here))
        if exchange is not None or (matches and not here):
            ex = exchange or Exchange.objects.filter(document=document, receiver_agency=agency,
                                                     receiver_entry__isnull=True).first()
            if ex is not None:
                ex.receiver_entry, ex.received_at, ex.status = entry, at, "03"
                ex.save(update_fields=["receiver_entry", "received_at", "status"])
        _attach_all(actor, document, entry, attachments)
        route(entry)
    return entry


def _register_secret_line(actor, agency, data, attachments, at) -> Entry:
    flow = workflow(agency, Kind.INCOMING)
    if not (flow and flow.secret_register):
        raise SecretRefused(CLASSIFIED_REFUSAL + f". “{agency.name}” không ghi sổ văn bản mật trên hệ thống / the "
                            f"agency keeps no secret register lines here")
    _refuse_secret_content(data, attachments)
    with transaction.atomic():
        document = Document(**{k: v for k, v in data.items() if k in SECRET_FIELDS or k == "issuer"})
        document.save()
        register, number = registers.next_number(agency, Kind.INCOMING, timezone.localdate(at).year, secret=True)
        entry = Entry.objects.create(document=document, register=register, agency=agency, kind=Kind.INCOMING,
                                     number=number, registered_at=at, state="recorded",
                                     created_by=_actor_name(actor))
        record_event(document, entry, actor, Action.SECRET_LINE, at=at, number=number, year=register.year)
    return entry


def route(entry: Entry) -> RoutingRule | None:
    """Apply the agency's first matching routing rule: the entry shows the rule, an event records it."""
    rule = routing.match(entry.agency, entry.document)
    if rule is None:
        return None
    entry.routed_by, entry.routed_to, entry.routed_user = rule, rule.department, rule.user
    entry.save(update_fields=["routed_by", "routed_to", "routed_user"])
    record_event(entry.document, entry, ROUTING_ACTOR, Action.ROUTE, rule=rule.pk, rule_name=rule.name,
                 department=rule.department.name, user=rule.user.get_username() if rule.user else None,
                 note=f"Theo quy tắc “{rule.name}” → {rule.department.name}")
    return rule


def assign(actor: Any, entry: Entry, assignments: list[tuple[Agency, Any, str]], *, days: int | None = None,
           due_date: datetime.date | None = None, note: str = "") -> list[Assignment]:
    """Phân công: [(department, user or None, role lead|support|info)], exactly one chủ trì; the due date is
    `due_date`, or `days` working days from today (the agency's default when neither)."""
    _check(actor, LEADER, entry.agency, "phân công xử lý văn bản", "assign documents")
    if entry.kind != Kind.INCOMING or entry.state == IncomingState.DONE:
        raise DocumentError(f"văn bản đến số {entry.number}: không phân công được khi “{entry.state_label}” / cannot "
                            f"assign an entry in state {entry.state}")
    leads = [a for a in assignments if a[2] == Role.LEAD]
    if len(leads) != 1:
        raise DocumentError("cần đúng một đơn vị chủ trì / exactly one lead (chủ trì) is needed")
    for department, _user, role in assignments:
        if role not in Role.values:
            raise DocumentError(f"vai trò “{role}” không hợp lệ (lead, support, info)")
        if not department.path.startswith(entry.agency.path):
            raise DocumentError(f"“{department.name}” không thuộc “{entry.agency.name}” / not a department of the "
                                f"receiving agency")
    today = timezone.localdate()
    if due_date is None:
        flow = workflow(entry.agency, Kind.INCOMING)
        due_date = add_working_days(today, days if days is not None else (flow.assign_days if flow else 10))
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).select_related("agency", "document").get(pk=entry.pk)
        made = [Assignment.objects.create(entry=entry, department=d, user=u, role=r, due_date=due_date)
                for d, u, r in assignments]
        entry.state, entry.due_date = IncomingState.ASSIGNED, due_date
        entry.save(update_fields=["state", "due_date"])
        record_event(entry.document, entry, actor, Action.ASSIGN, note=note, due_date=due_date,
                     to=[{"department": d.name, "user": u.get_username() if u else None, "role": r}
                         for d, u, r in assignments])
    return made


def comment(actor: Any, entry: Entry, note: str, *, direction: bool = False) -> Event:
    """Ý kiến (an assignee's opinion) or ý kiến chỉ đạo (a leader's direction)."""
    if not nfc(note):
        raise DocumentError("cần nội dung ý kiến / the opinion needs a text")
    if direction:
        _check(actor, LEADER, entry.agency, "cho ý kiến chỉ đạo", "give directions")
    elif not is_assignee(actor, entry) and refusal(actor, LEADER, entry.agency, "", ""):
        raise PermissionDenied(f"Chỉ người, đơn vị được phân công mới cho ý kiến văn bản đến số {entry.number} / only "
                               f"the assignees may give opinions on it")
    if entry.state == IncomingState.DONE:
        raise DocumentError(f"văn bản đến số {entry.number} đã giải quyết xong / the entry is done")
    with transaction.atomic():
        if entry.state == IncomingState.ASSIGNED and not direction:
            entry.state = IncomingState.PROCESSING
            entry.save(update_fields=["state"])
        return record_event(entry.document, entry, actor, Action.DIRECTION if direction else Action.OPINION,
                            note=nfc(note))


def complete(actor: Any, entry: Entry, *, result_document: Document | None = None, note: str = "") -> Entry:
    """Hoàn thành: the entry is done, with the result document (văn bản trả lời / kết quả) linked."""
    if not is_assignee(actor, entry) and refusal(actor, LEADER, entry.agency, "", ""):
        raise PermissionDenied(f"Chỉ đơn vị chủ trì hoặc lãnh đạo mới kết thúc văn bản đến số {entry.number} / only "
                               f"the lead or a leader may finish it")
    if entry.state not in (IncomingState.ASSIGNED, IncomingState.PROCESSING):
        raise DocumentError(f"văn bản đến số {entry.number}: chưa phân công hoặc đã xong / not assigned or already "
                            f"done")
    with transaction.atomic():
        now = timezone.now()
        entry.state, entry.done_at, entry.result_document = IncomingState.DONE, now, result_document
        entry.save(update_fields=["state", "done_at", "result_document"])
        entry.assignments.filter(done_at__isnull=True).update(done_at=now)
        record_event(entry.document, entry, actor, Action.DONE, note=note,
                     result=result_document.number if result_document else None,
                     result_id=result_document.pk if result_document else None)
    return entry


# ---- outgoing ----------------------------------------------------------------------------------------------------

def draft(actor: Any, agency: Agency, meta: dict[str, Any], *, attachments: Iterable = (), note: str = "") -> Entry:
    """Dự thảo văn bản đi: the document without its number yet; `code_notation` (QĐ-UBND, UBND-VP) as it will
    be issued."""
    _check(actor, STAFF, agency, "soạn thảo văn bản đi", "draft outgoing documents", below=True)
    data = _clean_meta(meta)
    if int(data.get("confidentiality", 0)) > Confidentiality.NONE:
        raise SecretRefused(CLASSIFIED_REFUSAL)
    data.pop("code_number", None)
    data.setdefault("issuer", agency)
    data.setdefault("issuer_name", agency.name)
    if not data.get("subject"):
        raise DocumentError("cần trích yếu của văn bản / a subject (trích yếu) is needed")
    with transaction.atomic():
        document = Document(**data)
        document.save()
        entry = Entry.objects.create(document=document, agency=agency, kind=Kind.OUTGOING, state=OutgoingState.DRAFT,
                                     created_by=_actor_name(actor))
        record_event(document, entry, actor, Action.DRAFT, note=note)
        _attach_all(actor, document, entry, attachments)
    return entry


def _signing_module():
    try:
        return importlib.import_module("hopnhat.documents.signing")
    except ModuleNotFoundError:
        return None


def step(actor: Any, entry: Entry, name: str, *, note: str = "", recipients: Iterable[Agency] = (),
         channel: str = Channel.INTERNAL, **sign_options) -> Entry:
    """Take the outgoing step `name` (review, approve, sign, number, issue, send), the next of the agency's
    workflow; PermissionDenied or DocumentError says why not."""
    if name not in STEP_RULES:
        raise DocumentError(f"bước “{name}” không tồn tại / unknown step {name!r}")
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).select_related("agency", "document", "register").get(
            pk=entry.pk)
        if name != next_step(entry):
            raise DocumentError(step_refusal(actor, entry, name))
        if reason := step_refusal(actor, entry, name):
            raise PermissionDenied(reason)
        document, detail = entry.document, {}
        if name == "sign":
            detail = _sign(actor, entry, **sign_options)
        elif name == "number":
            detail = _number(entry)
        elif name == "issue":
            document.issued_date = document.issued_date or timezone.localdate()
            if not document.doc_id and document.issuer_id and document.issuer.code:
                document.doc_id = f"{document.issuer.code},{document.issued_date:%Y/%m/%d},{document.number}"
            document.save()
            _add_numbers(document, entry)
            entry.registered_at = timezone.now()
            detail = {"doc_id": document.doc_id}
        elif name == "send":
            detail = _send(entry, list(recipients), channel)
        entry.state = STEP_RULES[name][0]
        entry.save()
        record_event(document, entry, actor, getattr(Action, name.upper()), note=note, **detail)
    return entry


def _sign(actor, entry: Entry, **options) -> dict:
    """The sign step: with a key (`key=` a PKCS#12 file or a `pkcs11:` token, `secret=` its passphrase or PIN;
    by default the one `documents.signing.key_for(actor)` finds configured for the official),
    `documents.signing.sign_attachment(actor=…, entry=…, attachment=…, **options)` signs each main PDF (it sets
    Attachment.signed and signature_report); without a key the step records the approval to sign on paper."""
    module = _signing_module()
    if module is not None and not options.get("key") and hasattr(module, "key_for"):
        if configured := module.key_for(actor):   # the key the platform keeps for this official (keys.json)
            options = {**options, "key": configured.spec}
    if module is None or not hasattr(module, "sign_attachment") or not options.get("key"):
        return {"signed_files": [], "paper": True}
    signed = []
    for attachment in entry.document.attachments.filter(main=True).select_related("blob"):
        module.sign_attachment(actor=actor, entry=entry, attachment=attachment, **options)
        signed.append(attachment.name)
    return {"signed_files": signed, "paper": not signed}


def _number(entry: Entry) -> dict:
    document = entry.document
    if not document.code_notation:
        raise DocumentError(f"dự thảo “{document.subject[:60]}” chưa có ký hiệu (ví dụ QĐ-UBND) / the draft has no "
                            f"notation")
    year = timezone.localdate().year
    register, number = registers.next_number(entry.agency, Kind.OUTGOING, year)
    document.code_number = f"{number:02d}"
    document.save()
    clash = [d for d in lookup.duplicates(number_key=document.number_key, issuer=document.issuer,
                                          issuer_name=document.issuer_name, issued_date=datetime.date(year, 1, 1),
                                          exclude=document.pk)]
    if clash:   # an imported document already holds this số/ký hiệu this year: never give it twice
        raise DocumentError(f"số {document.number} đã có văn bản khác của “{document.issuer_name}” năm {year} / "
                            f"the number is already held")
    entry.register, entry.number = register, number
    return {"number": document.number, "register": register.pk}


def _send(entry: Entry, recipients: list[Agency], channel: str) -> dict:
    if channel not in Channel.values:
        raise DocumentError(f"kênh gửi “{channel}” không hợp lệ / unknown channel")
    entry.send_channel = channel
    now = timezone.now()
    made = []
    for agency in recipients:
        Exchange.objects.create(document=entry.document, sender_entry=entry, receiver_agency=agency,
                                receiver_name=agency.name, channel=channel, sent_at=now, status="01")
        made.append(agency.code or agency.name)
    if recipients and not entry.document.recipients:
        Document.objects.filter(pk=entry.document_id).update(
            recipients=[{"name": a.name, "code": a.code} for a in recipients])
    return {"to": made, "channel": channel}


def receive_exchange(actor: Any, exchange: Exchange, **kw) -> Entry:
    """The receiving văn thư registers a document sent on this platform: the same document, a new incoming entry."""
    return register_incoming(actor, exchange.receiver_agency, {}, exchange=exchange, **kw)


# ---- routing rules -----------------------------------------------------------------------------------------------

def repoint_rules(actor: Any, agencies=None) -> list[dict]:
    """Re-point every rule that names a closed agency to the agency the crosswalk says acts for it now (its
    default successor), with a review note; a rule with no successor to go to is switched off and listed, never
    left pointing at a closed agency."""
    report = []
    with transaction.atomic():
        for stale in routing.stale_rules(agencies):
            rule, field, closed, successor = stale["rule"], stale["field"], stale["closed"], stale["successor"]
            rule.refresh_from_db()
            if successor is None and not rule.active:
                continue   # already switched off and waiting for a person
            if successor is not None:
                setattr(rule, field, successor)
                rule.review_note = nfc(f"{rule.review_note} Đã chuyển {field} từ “{closed.name}” (đã dừng) sang "
                                       f"“{successor.name}” theo bảng kế thừa cơ quan.")[:500]
            else:
                rule.active = False
                rule.review_note = nfc(f"{rule.review_note} Tạm dừng: “{closed.name}” đã dừng, không có cơ quan kế "
                                       f"thừa mặc định; cần người xem lại.")[:500]
            rule.save()
            audit.record(actor, "documents.rule_repoint", rule, field=field, closed=closed.code,
                         successor=successor.code if successor else None, active=rule.active)
            report.append({"rule": rule.name, "field": field, "from": closed.name,
                           "to": successor.name if successor else None, "active": rule.active})
    return report


def save_rule(actor: Any, rule: RoutingRule) -> RoutingRule:
    """A unit administrator's new or edited routing rule (the form checked the scope); audited."""
    if not rule.department.is_active or not rule.agency.is_active:
        raise DocumentError(f"quy tắc “{rule.name}” trỏ tới cơ quan đã dừng / the rule names a closed agency")
    _check(actor, ADMIN, rule.agency, "sửa quy tắc phân luồng", "edit routing rules")
    with transaction.atomic():
        rule.save()
        audit.record(actor, "documents.rule_save", rule, name=rule.name, department=rule.department.code,
                     issuer=rule.issuer.code if rule.issuer_id else None, words=rule.words, active=rule.active)
    return rule


def save_workflow(actor: Any, agency: Agency, *, steps: list[str], approvers=(), assign_days: int = 10,
                  secret_register: bool = False) -> Workflow:
    """Which outgoing steps `agency` runs and who approves; the incoming due date and secret register lines."""
    _check(actor, ADMIN, agency, "sửa quy trình văn bản", "edit document workflows")
    unknown = set(steps) - set(OUTGOING_STEPS)
    if unknown:
        raise DocumentError(f"bước không tồn tại: {', '.join(sorted(unknown))} / unknown steps")
    with transaction.atomic():
        flow, _ = Workflow.objects.update_or_create(agency=agency, kind=Kind.OUTGOING,
                                                    defaults={"steps": sorted(steps, key=OUTGOING_STEPS.index)})
        flow.approvers.set(approvers)
        Workflow.objects.update_or_create(agency=agency, kind=Kind.INCOMING, defaults={
            "assign_days": assign_days, "secret_register": secret_register})
        audit.record(actor, "documents.workflow_save", flow, agency=agency.code, steps=flow.steps,
                     approvers=[u.get_username() for u in approvers], assign_days=assign_days,
                     secret_register=secret_register)
    return flow
