"""Every change of a dossier's status goes through here: permission (hopnhat.org.access), the status rule, one
history event, the audit entry and the DVCQG outbox message, all in one transaction. The staff worklist, the
receipt slip and the hand-over call these functions; nothing else writes Dossier.status.

Who may take a step: the one-door desk (dossier_receiver) receives, forwards and returns the result; the official
the dossier is assigned to (dossier_processor) processes it; a leader (dossier_approver) assigns, approves or stops
it. A unit administrator of the agency's subtree may take every step. Under the agency's four-eyes rule (on unless
its AgencyPolicy says otherwise) whoever processed a dossier may not approve it. Jobs act as "system:<job>".

During a parallel run the old one-door system stays the system of record for the dossiers it holds: a dossier
imported from a system whose cutover has begun but not switched (or was routed back) is worked on there, and
pre-sync keeps copying it here, so no person may take a step on it here until that system switches (the
Cutover state is the one source of truth: consolidation.selectors.old_systems_in_charge)."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.selectors import old_systems_in_charge
from hopnhat.core import audit
from hopnhat.core.pii import keyed_hash, normalise_id_number
from hopnhat.core.workdays import add_working_days
from hopnhat.org.access import can_act_on
from hopnhat.org.models import Agency, Role

from . import clock, notices, outbox, people
from .codes import next_code
from .models import Action, AgencyPolicy, Channel, Dossier, DossierAlias, DossierEvent, Procedure, Status


class TransitionError(ValueError):
    pass


S = Status
# action → (statuses it may start from, status it leads to)
RULES: dict[str, tuple[frozenset, Status | None]] = {
    Action.RECEIVE: (frozenset({S.SUBMITTED}), S.RECEIVED),
    Action.ASSIGN: (frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT}), S.PROCESSING),
    Action.PROCESS: (frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), S.PROCESSING),
    Action.REQUEST_SUPPLEMENT: (frozenset({S.RECEIVED, S.PROCESSING}), S.SUPPLEMENT),
    # Trình duyệt: the official puts the processed dossier and the draft result before the leader.
    Action.SUBMIT_APPROVAL: (frozenset({S.PROCESSING}), None),
    Action.APPROVE: (frozenset({S.RECEIVED, S.PROCESSING, S.PAYMENT}), S.DONE),   # simple ones at the desk
    Action.RETURN_RESULT: (frozenset({S.DONE}), S.RETURNED),
    Action.REJECT: (frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), S.STOPPED),
    # A hand-over changes who holds the dossier, not where it stands.
    Action.HANDOVER: (frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), None),
}


R = Role
# The roles that may take each step over the agency handling the dossier; a unit administrator may take them all.
ACTION_ROLES: dict[str, frozenset] = {
    Action.RECEIVE: frozenset({R.DOSSIER_RECEIVER}),
    Action.REFUSE: frozenset({R.DOSSIER_RECEIVER}),
    Action.ASSIGN: frozenset({R.DOSSIER_RECEIVER, R.DOSSIER_APPROVER}),   # the desk forwards, a leader reassigns
    Action.PROCESS: frozenset({R.DOSSIER_PROCESSOR}),
    Action.REQUEST_SUPPLEMENT: frozenset({R.DOSSIER_PROCESSOR}),
    Action.SUBMIT_APPROVAL: frozenset({R.DOSSIER_PROCESSOR}),
    Action.APPROVE: frozenset({R.DOSSIER_APPROVER}),
    Action.RETURN_RESULT: frozenset({R.DOSSIER_RECEIVER}),
    Action.REJECT: frozenset({R.DOSSIER_APPROVER}),
    Action.HANDOVER: frozenset(),
}
ADMIN_ROLES = frozenset({R.UNIT_ADMIN})
# Steps only the official the dossier is assigned to takes (or a unit administrator standing in for them).
ASSIGNEE_ONLY = frozenset({Action.PROCESS, Action.REQUEST_SUPPLEMENT, Action.SUBMIT_APPROVAL})
# What counts as having processed a dossier, for the four-eyes rule.
PROCESSING_STEPS = (Action.PROCESS, Action.REQUEST_SUPPLEMENT, Action.REQUEST_PAYMENT, Action.SUBMIT_APPROVAL)
# The steps that say where the work stands, for out_of_order: the last of them decides what may come next.
STAGE_STEPS = (Action.RECEIVE, Action.ASSIGN, Action.PROCESS, Action.REQUEST_SUPPLEMENT, Action.REQUEST_PAYMENT,
               Action.SUBMIT_APPROVAL, Action.HANDOVER, Action.IMPORTED)
_ROLE_LABELS = dict(Role.choices)


def _is_system(actor: Any) -> bool:
    # Jobs act as "system:<job>" and are authorised by whoever runs them; people need a role over the agency.
    if isinstance(actor, str):
        if not actor.startswith("system:"):
            raise ValueError(f"actor {actor!r} must be a user or 'system:<job>'")
        return True
    return False


def effective_action(dossier: Dossier, action: str) -> str:
    """A reject before reception is the desk refusing the dossier (Không được tiếp nhận), not a stop."""
    if action == Action.REJECT and dossier.status == Status.SUBMITTED:
        return Action.REFUSE
    return action


def last_stage(dossier: Dossier) -> tuple[str, str] | None:
    """(action, actor) of the last step that says where the work stands, or None."""
    return (DossierEvent.objects.filter(dossier_id=dossier.pk, action__in=STAGE_STEPS)
            .order_by("-at", "-id").values_list("action", "actor").first())


def out_of_order(actor: Any, dossier: Dossier, action: str, stage: tuple[str, str] | None | bool = False
                 ) -> tuple[str, str] | None:
    """(Vietnamese, English) why `action` would repeat or skip a step, or None. Thụ lý is recorded once: the
    official who just recorded it (or who submitted it for approval) does not record it again; trình duyệt
    follows the official's thụ lý and is not repeated; once submitted, the dossier is the approver's (who approves,
    stops it, or sends it back by assigning it again). `stage` is last_stage(dossier) when the caller has it."""
    if action not in (Action.PROCESS, Action.SUBMIT_APPROVAL, Action.REQUEST_SUPPLEMENT):
        return None
    if stage is False:
        stage = last_stage(dossier)
    last, by = stage or ("", "")
    if action == Action.PROCESS and dossier.status == S.PROCESSING and (
            last == Action.SUBMIT_APPROVAL or (last == Action.PROCESS and by == _actor_name(actor))):
        return ("hồ sơ đã được thụ lý" + (", đang chờ phê duyệt" if last == Action.SUBMIT_APPROVAL else ""),
                "it has already been processed" + (" and waits for approval" if last == Action.SUBMIT_APPROVAL
                                                   else ""))
    if action == Action.REQUEST_SUPPLEMENT:
        if last == Action.SUBMIT_APPROVAL:
            return "hồ sơ đã được trình duyệt", "it has been submitted for approval"
        return None
    if action == Action.SUBMIT_APPROVAL and last != Action.PROCESS:
        if last == Action.SUBMIT_APPROVAL:
            return "hồ sơ đã được trình duyệt", "it has already been submitted for approval"
        return "hồ sơ cần được thụ lý trước khi trình duyệt", "it must be processed before it is submitted"
    return None


def four_eyes(agency: Agency) -> bool:
    return AgencyPolicy.objects.filter(agency=agency).values_list("four_eyes", flat=True).first() in (None, True)


def has_processed(user, dossier: Dossier) -> bool:
    """The official it is assigned to, or anyone who recorded a processing step on it."""
    if dossier.assignee_id == user.pk:
        return True
    return DossierEvent.objects.filter(dossier_id=dossier.pk, actor=user.get_username(),
                                       action__in=PROCESSING_STEPS).exists()


def _denied(action: str, what: str, vi: str, en: str) -> str:
    label = Action(action).label
    return f"Không được “{label.partition(' (')[0]}” {what}: {vi} / you may not {action} {en}"


Held = list[tuple[str, str]]   # [(old system code, its cutover state)]


def held_by_old_systems(dossier_ids, in_charge: dict[str, str] | None = None) -> dict[int, Held]:
    """{dossier id: [(system, cutover state), …]} for those of `dossier_ids` that an old system still handles:
    one of their codes came from a system in `in_charge` (selectors.old_systems_in_charge; a merged dossier may
    come from several). One query on the tiny Cutover table unless `in_charge` is given, and one on the aliases
    only when some system is in charge: the same two queries for one dossier or a page of the worklist."""
    in_charge = old_systems_in_charge() if in_charge is None else in_charge
    if not in_charge:
        return {}
    held: dict[int, Held] = {}
    for dossier_id, system in (DossierAlias.objects.filter(dossier_id__in=list(dossier_ids),
                                                           source_system__in=list(in_charge))
                               .values_list("dossier_id", "source_system").order_by("source_system")):
        if (system, in_charge[system]) not in held.setdefault(dossier_id, []):
            held[dossier_id].append((system, in_charge[system]))
    return held


def held_clause(held: Held) -> tuple[str, str]:
    """(Vietnamese, English) predicate for a dossier the old systems `held` still handle."""
    if len(held) == 1:
        [(system, state)] = held
        return (f"vẫn do hệ thống cũ “{system}” xử lý cho đến khi chuyển hẳn (đang ở bước “{state}”)",
                f"is still handled by the old system {system} until it switches to the platform (cutover step "
                f"{state})")
    return ("vẫn do các hệ thống cũ " + ", ".join(f"“{s}” (đang ở bước “{st}”)" for s, st in held)
            + " xử lý cho đến khi chuyển hẳn",
            "is still handled by the old systems " + ", ".join(f"{s} (cutover step {st})" for s, st in held)
            + " until they switch to the platform")


def refusal(actor: Any, action: str, agency: Agency, dossier: Dossier | None = None, *,
            held: Held | None = None) -> str | None:
    """Why `actor` may not take `action` (already effective_action) now, or None when they may. The views hide the
    buttons this refuses and actions.py raises PermissionDenied with the same text. `held`: the dossier's entry of
    held_by_old_systems when the caller has it ([] for none), so a page asking about many steps asks once."""
    if _is_system(actor):
        return None
    code = dossier.code if dossier is not None else ""
    what, en = (f"hồ sơ {code}", f"dossier {code}") if dossier is not None else (
        f"hồ sơ tại “{agency.name}”", f"dossiers at agency {agency.code or agency.pk}")
    roles = ACTION_ROLES.get(action, frozenset())
    is_admin = can_act_on(actor, agency, set(ADMIN_ROLES))
    if not is_admin and not (roles and can_act_on(actor, agency, set(roles))):
        needed = " hoặc ".join(_ROLE_LABELS[r].partition(" (")[0] for r in sorted(roles | ADMIN_ROLES))
        return _denied(action, what, f"cần vai trò {needed} tại “{agency.name}”",
                       f"{en}: it needs the role {' or '.join(sorted(roles | ADMIN_ROLES))} over that agency")
    if dossier is None:
        return None
    if held is None:
        held = held_by_old_systems([dossier.pk]).get(dossier.pk, [])
    if held:
        vi, en_held = held_clause(held)
        return _denied(action, what, f"hồ sơ {vi}; hãy thao tác trên hệ thống cũ",
                       f"{en}: it {en_held}; act on it in the old system")
    if action in ASSIGNEE_ONLY and not is_admin and dossier.assignee_id != actor.pk:
        if dossier.assignee_id is None:
            return _denied(action, what, "hồ sơ chưa được phân công cho ai",
                           f"{en}: it is not assigned to anyone yet")
        return _denied(action, what, f"hồ sơ được phân công cho {display_name(dossier.assignee)}",
                       f"{en}: it is assigned to {dossier.assignee.get_username()}")
    if action == Action.APPROVE and four_eyes(agency) and has_processed(actor, dossier):
        return _denied(action, what, "người đã thụ lý không được tự phê duyệt (nguyên tắc hai người)",
                       f"{en}: you processed it, and the agency requires a second person to approve")
    return None


def _check_permission(actor: Any, action: str, agency: Agency, dossier: Dossier | None = None) -> None:
    if reason := refusal(actor, action, agency, dossier):
        raise PermissionDenied(reason)


def display_name(user) -> str:
    """“Nguyễn Văn An (an.nv)”: the Person's name when the account has one."""
    person = getattr(user, "person", None) if user is not None else None
    name = person.full_name if person else (user.get_full_name() if user is not None else "")
    return f"{name} ({user.get_username()})" if name else user.get_username()


def processors_of(agency: Agency):
    """Officials a dossier of `agency` may be assigned to: live accounts holding dossier_processor over it."""
    from django.contrib.auth import get_user_model

    ancestors = [agency.path[:i + 1] for i, ch in enumerate(agency.path) if ch == "/" and i > 0]
    return (get_user_model().objects.filter(is_active=True, role_assignments__role=R.DOSSIER_PROCESSOR,
                                            role_assignments__agency__path__in=ancestors)
            .select_related("person").distinct().order_by("username"))


def _check_assignee(dossier: Dossier, assignee) -> None:
    if assignee is None:
        raise TransitionError(f"hồ sơ {dossier.code}: cần chọn người thụ lý để phân công / choose the official "
                              f"to assign it to")
    if isinstance(assignee, str) or not can_act_on(assignee, dossier.agency, {R.DOSSIER_PROCESSOR}):
        raise TransitionError(
            f"hồ sơ {dossier.code}: {getattr(assignee, 'username', assignee)} không phải chuyên viên thụ lý của "
            f"“{dossier.agency.name}” / is not a dossier processor of agency {dossier.agency.code}")


def _actor_name(actor: Any) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def record_event(dossier: Dossier, actor: Any, action: str, *, status_from=None, note: str = "",
                 attachments: list | None = None, at: datetime.datetime | None = None, assignee: str = "",
                 **extra) -> DossierEvent:
    event = DossierEvent.objects.create(
        dossier=dossier, at=at or timezone.now(), actor=_actor_name(actor),
        actor_title=extra.pop("actor_title", "") or people.post_title(actor, dossier.agency_id),
        agency=dossier.agency, agency_name=dossier.agency.name,
        action=action, status_from=status_from, status_to=dossier.status, note=note, assignee=assignee,
        attachments=attachments or [],
    )
    if assignee:
        extra["assignee"] = assignee
    audit.record(actor, f"dossiers.{action}", dossier, code=dossier.code, event=event.pk,
                 status_from=status_from, status_to=dossier.status, agency=dossier.agency.code, **extra)
    outbox.send_after_commit(outbox.enqueue(dossier, event))
    notices.enqueue(dossier, event)   # e-mail / SMS to the citizen (online submissions), through core.outbox
    return event


def receive(actor: Any, *, agency: Agency, procedure: Procedure, applicant_name: str, id_number: str = "",
            phone: str = "", address: str = "", summary: str = "", channel: int = Channel.DIRECT,
            at: datetime.datetime | None = None, note: str = "", papers: list | None = None) -> Dossier:
    """Tiếp nhận: a new dossier with a fresh code, its due date counted in working days from today.
    `papers` ([{"name": …, "copies": n}]) are what the applicant handed in; the receipt slip lists them."""
    _check_permission(actor, Action.RECEIVE, agency)
    if not agency.is_active:
        raise TransitionError(f"“{agency.name}” đã dừng hoạt động từ {agency.closed_on}, không tiếp nhận hồ sơ / "
                              f"agency {agency.code} is closed and receives no dossiers")
    at = at or timezone.now()
    digits = normalise_id_number(phone)
    with transaction.atomic():
        dossier = Dossier.objects.create(
            code=next_code(agency, timezone.localdate(at)), procedure=procedure, summary=summary or procedure.name,
            channel=channel, applicant_name=applicant_name, applicant_id_hash=keyed_hash(id_number),
            phone_tail_hash=keyed_hash(digits[-4:]), applicant_address=address, applicant_phone=digits,
            receiving_agency=agency, agency=agency, status=Status.RECEIVED, received_at=at,
            due_date=add_working_days(timezone.localdate(at), procedure.processing_days),
        )
        DossierAlias.objects.create(code=dossier.code, dossier=dossier)
        record_event(dossier, actor, Action.RECEIVE, note=note, at=at, attachments=papers)
    return dossier


def transition(actor: Any, dossier: Dossier, action: str, *, note: str = "", attachments: list | None = None,
               to_agency: Agency | None = None, result: str = "", assignee=None, **extra) -> DossierEvent:
    """Apply `action` to `dossier` (locked for the change) and record it. `assignee` (a user) for ASSIGN."""
    if action not in RULES:
        raise TransitionError(f"thao tác “{action}” không tồn tại / unknown action {action!r}")
    allowed_from, status_to = RULES[action]
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("agency", "assignee").get(
            pk=dossier.pk)
        _check_permission(actor, effective_action(dossier, action), dossier.agency, dossier)
        if dossier.status not in allowed_from:
            raise TransitionError(
                f"hồ sơ {dossier.code}: không thể “{Action(action).label}” khi đang “{dossier.get_status_display()}”"
                f" / cannot {action} a dossier in status {dossier.status}")
        if why := out_of_order(actor, dossier, action):
            raise TransitionError(f"hồ sơ {dossier.code}: không thể “{Action(action).label.partition(' (')[0]}”: "
                                  f"{why[0]} / cannot {action} dossier {dossier.code}: {why[1]}")
        status_from, now = dossier.status, timezone.now()
        if action == Action.REJECT and status_from == S.SUBMITTED:
            status_to = S.REFUSED
        if status_to is not None:
            dossier.status = status_to
        if status_to in {S.DONE, S.REFUSED, S.STOPPED}:
            dossier.finished_at = now
        if status_to == S.RETURNED:
            dossier.returned_at = now
        if result:
            dossier.result = result
        assigned = ""
        if action == Action.ASSIGN:
            _check_assignee(dossier, assignee)
            dossier.assignee, dossier.assigned_at, assigned = assignee, now, assignee.get_username()
            # the history reads as people: name and post, never the user name
            name, title = people.names_and_titles([assignee.get_username()])[assignee.get_username()]
            title = people.post_title(assignee, dossier.agency_id) or title
            note = f"Phân công cho {name}" + (f", {title}" if title else "") + (f": {note}" if note else "")
        # the processing clock resumes: the due date moves by the working days it stood still (clock.py)
        extra |= clock.resume(dossier, status_from, now)
        if to_agency is not None:
            extra["from_agency"] = dossier.agency.code
            dossier.agency = to_agency
            # the successor's own staff take it up: nobody there has been given it yet
            dossier.assignee, dossier.assigned_at = None, None
        dossier.save()
        return record_event(dossier, actor, action, status_from=status_from, note=note, attachments=attachments,
                            at=now, assignee=assigned, **extra)


def assign(actor, dossier, assignee, note="", **kw):
    """Phân công: give the dossier to a named official (a dossier_processor of the agency handling it)."""
    return transition(actor, dossier, Action.ASSIGN, note=note, assignee=assignee, **kw)


def process(actor, dossier, note="", **kw):
    return transition(actor, dossier, Action.PROCESS, note=note, **kw)


def request_supplement(actor, dossier, note, **kw):
    return transition(actor, dossier, Action.REQUEST_SUPPLEMENT, note=note, **kw)


def submit_for_approval(actor, dossier, draft, **kw):
    """Trình duyệt: the draft result goes to the leader with the processed dossier (the event's note)."""
    return transition(actor, dossier, Action.SUBMIT_APPROVAL, note=draft, **kw)


def draft_result(dossier: Dossier) -> str:
    """What the official proposed when submitting for approval: the approve form starts from it."""
    return (DossierEvent.objects.filter(dossier_id=dossier.pk, action=Action.SUBMIT_APPROVAL)
            .order_by("-at", "-id").values_list("note", flat=True).first() or "")


def approve(actor, dossier, result, note="", **kw):
    return transition(actor, dossier, Action.APPROVE, note=note, result=result, **kw)


def return_result(actor, dossier, note="", **kw):
    return transition(actor, dossier, Action.RETURN_RESULT, note=note, **kw)


def reject(actor, dossier, note, **kw):
    return transition(actor, dossier, Action.REJECT, note=note, **kw)


def hand_over(actor, dossier, to_agency: Agency, note: str, **kw):
    return transition(actor, dossier, Action.HANDOVER, note=note, to_agency=to_agency, **kw)
