"""Domain importers that merge the dossiers of old one-door systems into the one store, through the
consolidation engine (`hopnhat consolidate run` with a mapping per data set):

    importer: dossiers.dossier   fields: code, procedure, applicant_name, id_hash (a `pii:` column), phone,
                                 address, agency, status, received_at, due_date, finished_at, returned_at,
                                 result, summary, channel; optional xref (the same dossier's code in another
                                 system: mã hồ sơ liên thông) and updated_at (the old system's last change)
    importer: dossiers.history   fields: dossier_code, at, actor, actor_title, agency, action, status_from,
                                 status_to, note

The mapping's value maps turn the old system's status names into the national 1–10 codes and its agency codes
into mã định danh (the agency is kept as it was, closed or not: `hopnhat dossiers handover` then moves
in-progress dossiers on, as history events). Run the dossier stream of every system before their history.

Codes: a dossier keeps its old code when it has the national form and no other dossier holds it. Every
national-form code a batch carries is reserved before anything else (codes.reserve_issued); a dossier that needs
a fresh number gets it at the end of the run, so no number an old system issued in that run goes to another
dossier. The same dossier in a second system — the same code with the same applicant and procedure, or the
code the mapping's `xref` names — is merged, every code of both systems kept as aliases, and its status and
agency are those of the system that touched it last. The same code for a different dossier is a collision: the
newcomer gets a fresh national code and keeps its old one as an alias of that system.

A bare procedure number ("1.001193") is the active catalogue entry of the importing agency's province; a number
that names several (or only inactive ones) quarantines the record with the candidates.
"""

import datetime
import hashlib
import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hopnhat.consolidation import bulk
from hopnhat.consolidation.api import (
    DomainImporter,
    MappingError,
    Outcome,
    loaded,
    merged,
    quarantined,
    register_importer,
)
from hopnhat.core.models import Provenance
from hopnhat.core.pii import keyed_hash, normalise_id_number
from hopnhat.core.text import fold, nfc
from hopnhat.core.workdays import add_working_days
from hopnhat.org.agencies import resolve_agency
from hopnhat.org.models import Agency

from .codes import CODE_PATTERN, next_code, normalise_code, reserve_issued
from .models import CLOSED, Action, Dossier, DossierAlias, DossierEvent, Procedure, Status

_STATUSES = frozenset(Status.values)
_ACTIONS = frozenset(Action.values)
# The form nearly every old system writes, read by the C parser; anything else goes through the formats below.
_ISO = re.compile(r"^\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?)?$")
_SUFFIX = re.compile(r"(\.\d+)?([+-]\d\d:?\d\d|Z)?$")   # fractions and offsets: old systems mean local time
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                     "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%Y%m%d%H%M%S"]


def parse_datetime(field: str, value: Any) -> datetime.datetime | None:
    """A moment as old systems write it; naive values are Vietnam time."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime.datetime) else _read_datetime(field, value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _read_datetime(field: str, value: Any) -> datetime.datetime:
    text = _SUFFIX.sub("", str(value).strip())
    if _ISO.match(text):
        try:
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            pass
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt)  # noqa: DTZ007 — made aware by the caller
        except ValueError:
            continue
    raise MappingError(field, f"thời điểm “{value}” không đọc được / unreadable date-time {value!r}")


def parse_status(field: str, value: Any, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        status = int(str(value).strip())
    except ValueError:
        status = 0
    if status not in _STATUSES:
        raise MappingError(field, f"trạng thái “{value}” không thuộc mã 1–10 của DVCQG (thiếu trong bảng giá trị?) "
                                  f"/ status is not a DVCQG code 1–10 (missing from the value map?)")
    return status


def find_agency(field: str, value: Any) -> Agency:
    try:
        matches = resolve_agency(str(value or ""))
    except ValidationError as exc:
        raise MappingError(field, " ".join(exc.messages)) from None
    if len(matches) != 1:
        why = "không tìm thấy" if not matches else f"{len(matches)} cơ quan trùng"
        raise MappingError(field, f"cơ quan “{value}”: {why} / agency not found or ambiguous")
    return matches[0]


def _same_dossier(dossier: Dossier, id_hash: str, name: str, procedure: Procedure) -> bool:
    """Two systems' records of one dossier: same personal ID when both have one, else same name; and the
    same procedure (by its national number: a province suffix may differ)."""
    if dossier.procedure.national_code != procedure.national_code:
        return False
    if id_hash and dossier.applicant_id_hash:
        return id_hash == dossier.applicant_id_hash
    return fold(name) == fold(dossier.applicant_name)


def _insert(objs: list) -> None:
    """New rows of one model, written with the engine's bulk writer (COPY on PostgreSQL), their primary keys set
    on the instances the outcomes name."""
    if not objs:
        return
    model = type(objs[0])
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = bulk.insert_rows(model, names, [[obj.__dict__[n] for n in names] for obj in objs], return_ids=True)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias


class _BatchConflict(Exception):
    """Two records of one batch want the same code: the engine redoes the batch one record at a time."""


class _Lookups:
    """What a run resolves again and again, read once per run: catalogue entries, agencies (through their
    lineage, resolve_agency) and due dates (the working-day calendar)."""

    def __init__(self):
        self.by_code: dict[str, Procedure] = {}
        self.by_national: dict[str, list[Procedure]] = {}
        self.asked: set[str] = set()
        self.chosen: dict[tuple[str, str], Procedure | str] = {}
        self.agencies: dict[str, Agency | MappingError] = {}
        self.due: dict[tuple[datetime.date, int], datetime.date] = {}

    def load_procedures(self, values) -> None:
        """One query for every catalogue entry the batch names that this run has not asked for yet."""
        wanted = {str(v or "").strip() for v in values} - self.asked
        if not wanted:
            return
        self.asked |= wanted
        for p in Procedure.objects.filter(Q(code__in={v.upper() for v in wanted}) | Q(national_code__in=wanted)):
            self.by_code[p.code.upper()] = p
            if p not in self.by_national.setdefault(p.national_code, []):
                self.by_national[p.national_code].append(p)

    def procedure(self, value, agency: Agency) -> Procedure | str:
        """The catalogue entry a record names, or why none can be chosen. A full code names its entry; a bare
        national number ("1.001193") the active entry of the importing agency's province (its code's last
        part, H26), never another province's when the province has one. Another province's entry is taken only
        when it is the one active entry of that number in the whole catalogue."""
        value = str(value or "").strip()
        key = (value, agency.code or "")
        if key not in self.chosen:
            self.chosen[key] = self._choose(value, agency)
        return self.chosen[key]

    def _choose(self, value: str, agency: Agency) -> Procedure | str:
        self.load_procedures([value])
        if (exact := self.by_code.get(value.upper())) is not None:
            return exact
        entries = self.by_national.get(value, [])
        active = sorted((p for p in entries if p.active), key=lambda p: p.code)
        if not active:
            if entries:
                return (f"thủ tục “{value}” chỉ còn mục đã ngừng áp dụng trong danh mục / only inactive catalogue "
                        f"entries: {', '.join(p.code for p in entries)}")
            return f"thủ tục “{value}” không có trong danh mục / procedure not in the catalogue"
        province = (agency.code or "").rsplit(".", 1)[-1]
        mine = [p for p in active if province and p.code.upper().endswith(f".{province}")]
        if len(mine) == 1:
            return mine[0]
        if not mine and len(active) == 1:
            return active[0]
        among = mine or active
        return (f"thủ tục “{value}” khớp {len(among)} mục đang áp dụng"
                f"{' của tỉnh ' + province if mine else ', không mục nào của tỉnh ' + (province or '?')}, "
                f"không chọn được / ambiguous procedure number: {', '.join(p.code for p in among)}")

    def agency(self, field: str, value) -> Agency:
        key = str(value or "")
        if key not in self.agencies:
            try:
                self.agencies[key] = find_agency(field, key)
            except MappingError as exc:
                self.agencies[key] = exc
        found = self.agencies[key]
        if isinstance(found, MappingError):
            raise MappingError(field, str(found).split(": ", 1)[-1])
        return found

    def due_date(self, received: datetime.date, days: int) -> datetime.date:
        if (received, days) not in self.due:
            self.due[received, days] = add_working_days(received, days)
        return self.due[received, days]


# A code an old system gave a dossier of another system (its cross-reference field): kept as an alias under
# "<citing system>>xref", so the other system's code answers at once and its record merges when it arrives.
XREF = ">xref"
# The code a dossier holds between its import and the end of the run, when its fresh national number is given
# out: only once every code the run's old systems issued is reserved (codes.reserve_issued).
PENDING = "~"
NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _pending_code(system: str, old_code: str) -> str:
    return PENDING + hashlib.sha256(f"{system}\0{old_code}".encode()).hexdigest()[:40]


def _touched(fields: dict[str, Any], updated_at: datetime.datetime | None) -> datetime.datetime:
    """When the old system last touched the record: its last update time when the mapping has one, else the
    latest date the record holds."""
    if updated_at is not None:
        return updated_at
    return max(t for t in (fields["received_at"], fields["finished_at"], fields["returned_at"]) if t is not None)


def _is_old_system(source_system: str) -> bool:
    return source_system != "hopnhat" and not source_system.endswith(XREF)


@register_importer
class DossierImporter(DomainImporter):
    name = "dossiers.dossier"
    target_model = "dossiers.Dossier"
    reconcile_fields = {"applicant_name": "applicant_name", "status": "status", "applicant_id_hash": "id_hash",
                        "applicant_address": "address", "result": "result"}
    _PARSED_TIME = ("đọc thành thời điểm có múi giờ Việt Nam; sai thì cách ly / read as a Vietnam-time moment; a bad "
                    "one is quarantined")
    reconcile_exclude = {  # every other mapped field is compared (api.DomainImporter.reconcile_fields)
        "code": "mã cũ giữ làm bí danh (DossierAlias) của hệ thống; mã trùng hay mã địa phương được cấp mã mới / "
                "the old code is kept as the system's alias; a taken or local code gets a new national code",
        "procedure": "tra trong danh mục thủ tục; không có thì cách ly / looked up in the procedure catalogue; an "
                     "unknown one is quarantined",
        "agency": "mã cơ quan, tra thành cơ quan; không có thì cách ly / the agency code, looked up; an unknown one "
                  "is quarantined",
        "phone": "chỉ giữ băm có khóa của 4 số cuối (dữ liệu cá nhân) / only a keyed hash of the last four digits "
                 "is kept (personal data)",
        "summary": "trống thì lấy tên thủ tục / the procedure's name when empty",
        "channel": "trống thì 1 (trực tiếp) / 1 (in person) when empty",
        "received_at": _PARSED_TIME, "finished_at": _PARSED_TIME, "returned_at": _PARSED_TIME,
        "due_date": "trống thì tính theo số ngày làm việc của thủ tục / from the procedure's working days when empty",
        "updated_at": "lúc hệ thống cũ sửa hồ sơ lần cuối: quyết định hệ thống nào chạm hồ sơ sau cùng "
                      "(DossierAlias.touched_at) / when the old system last changed it: decides which system "
                      "touched the dossier last",
        "xref": "mã của hồ sơ ở hệ thống kia, giữ làm bí danh và gộp hai bản ghi / the other system's code, kept "
                "as an alias; it merges the two records",
    }
    REFRESHED = ("status", "finished_at", "returned_at", "result", "due_date")
    # What the system that touched a dossier last decides, when two systems hold it.
    CURRENT = ("status", "agency", "finished_at", "returned_at", "result", "due_date")

    def prepare(self, ctx) -> None:
        self.lookups = _Lookups()

    def _fields(self, record, mapped, ctx) -> tuple[str, dict[str, Any]] | Outcome:
        """(old code, the dossier's fields) of one record, or the quarantine outcome; MappingError for a bad field."""
        where = ctx.label(record)
        old_code = normalise_code(mapped.get("code"))
        if not old_code:
            return quarantined(f"{where}: thiếu mã hồ sơ / no dossier code")
        agency = self.lookups.agency("agency", mapped.get("agency"))
        procedure = self.lookups.procedure(mapped.get("procedure", ""), agency)
        if isinstance(procedure, str):
            return quarantined(f"{where}: {procedure}", field="procedure")
        status = parse_status("status", mapped.get("status"))
        received_at = parse_datetime("received_at", mapped.get("received_at"))
        if received_at is None:
            raise MappingError("received_at", "thiếu ngày tiếp nhận / no reception date")
        due = mapped.get("due_date")
        if isinstance(due, str) and due:
            due = timezone.localdate(parse_datetime("due_date", due))
        due = due or self.lookups.due_date(timezone.localdate(received_at), procedure.processing_days)
        finished_at = parse_datetime("finished_at", mapped.get("finished_at"))
        if finished_at is None and status in CLOSED:
            finished_at = parse_datetime("returned_at", mapped.get("returned_at"))
        return old_code, {
            "procedure": procedure, "summary": nfc(mapped.get("summary")) or procedure.name,
            "channel": int(mapped.get("channel") or 1), "applicant_name": nfc(mapped.get("applicant_name")),
            "applicant_id_hash": mapped.get("id_hash") or "",
            "phone_tail_hash": keyed_hash(normalise_id_number(str(mapped.get("phone") or ""))[-4:]),
            "applicant_address": nfc(mapped.get("address")), "receiving_agency": agency, "agency": agency,
            "status": status, "received_at": received_at, "due_date": due, "finished_at": finished_at,
            "returned_at": parse_datetime("returned_at", mapped.get("returned_at")),
            "result": nfc(mapped.get("result")),
        }

    def import_record(self, record, mapped, ctx) -> Outcome:
        return self.import_batch([(record, mapped)], ctx)[0]

    def import_batch(self, items, ctx) -> list[Outcome]:  # noqa: C901 — one pass over the batch, kept together
        """A batch in a handful of queries: the catalogue once, the codes' existing aliases in one query, new
        dossiers and aliases in bulk, refreshed and completed dossiers in one bulk update.

        National-form codes the batch carries are reserved first (codes.reserve_issued), before any holder is
        read; a dossier that needs a fresh number (a local code, a collision) gets it at the end of the run
        (finish), when every code of the run is reserved, so a number an old system issued is never given to
        another dossier. The same dossier in two systems (the same code and applicant, or the mapping's `xref`
        naming the other system's code) is merged; its status and agency are those of the system that touched
        it last (`updated_at` when mapped, else the record's latest date)."""
        system = ctx.mapping.system
        outcomes: list[Outcome | None] = [None] * len(items)
        self.lookups.load_procedures(m.get("procedure", "") for _, m in items)
        prepared = []
        for i, (record, mapped) in enumerate(items):
            try:
                got = self._fields(record, mapped, ctx)
                xref = normalise_code(mapped.get("xref"))
                updated_at = parse_datetime("updated_at", mapped.get("updated_at"))
            except MappingError as exc:
                outcomes[i] = quarantined(str(exc), field=exc.field)
                continue
            if isinstance(got, Outcome):
                outcomes[i] = got
            else:
                old_code, fields = got
                prepared.append((i, old_code, xref if xref != old_code else "", _touched(fields, updated_at), fields))
        reserve_issued(code for _, code, _, _, _ in prepared)   # before the holders are read: see codes.py
        wanted = {code for _, code, _, _, _ in prepared} | {x for _, _, x, _, _ in prepared if x}
        known: dict[str, Dossier] = {}
        holders: dict[str, list[tuple[DossierAlias, Dossier]]] = {}
        one: dict[int, Dossier] = {}   # one instance per dossier, whichever alias found it: changes add up
        for alias in DossierAlias.objects.filter(code__in=wanted).select_related("dossier__procedure").order_by("pk"):
            dossier = one.setdefault(alias.dossier_id, alias.dossier)
            if alias.source_system == system:
                known[alias.code] = dossier
            holders.setdefault(alias.code, []).append((alias, dossier))
        ids = {d.pk for found in holders.values() for _, d in found}
        touched_by: dict[int, dict[str, datetime.datetime | None]] = {}
        for dossier_id, source, at in DossierAlias.objects.filter(dossier_id__in=ids).values_list(
                "dossier_id", "source_system", "touched_at"):
            if _is_old_system(source):
                touched_by.setdefault(dossier_id, {})[source] = at
        # dossiers a hand-over moved on from the agency the old system knows: it no longer decides their state
        # (other platform steps do not count: until its cutover switches, the old system is in charge)
        handed_over = set(DossierEvent.objects.filter(dossier_id__in={d.pk for d in known.values()},
                                                      action=Action.HANDOVER).values_list("dossier_id", flat=True))
        changed: dict[int, tuple[Dossier, set[str]]] = {}
        new: list[tuple[int, Dossier, str, str, datetime.datetime]] = []
        aliases: list[DossierAlias] = []
        touched_now: dict[tuple[str, str], datetime.datetime] = {}
        batch_codes: set[str] = set()

        def change(dossier: Dossier, update: dict[str, Any]) -> None:
            if not update:
                return
            for k, v in update.items():
                setattr(dossier, k, v)
            changed.setdefault(dossier.pk, (dossier, set()))[1].update(update)

        def latest_other(dossier: Dossier) -> datetime.datetime:
            """When another old system last touched the dossier: never, when no other holds it; the dossier's
            own dates when the others' aliases predate touched_at."""
            others = [t for s, t in touched_by.get(dossier.pk, {}).items() if s != system]
            if not others:
                return NEVER
            if known_times := [t for t in others if t is not None]:
                return max(known_times)
            return _touched({"received_at": dossier.received_at, "finished_at": dossier.finished_at,
                             "returned_at": dossier.returned_at}, None)

        def xref_alias(dossier: Dossier, xref: str) -> None:
            """The other system's code as an alias, unless some dossier holds it already (a second dossier under
            it would make it name two)."""
            if xref and not holders.get(xref):
                holders.setdefault(xref, []).append((DossierAlias(code=xref, source_system=system + XREF), dossier))
                aliases.append(DossierAlias(code=xref, dossier=dossier, source_system=system + XREF))

        for i, old_code, xref, touched, fields in prepared:
            if old_code in batch_codes or (xref and xref in batch_codes):
                raise _BatchConflict(old_code)   # a code this batch has just given out: the record path decides
            if (dossier := known.get(old_code)) is not None:
                # a later run of the same system: refresh what the old system may have changed since, when it
                # is the system that touched the dossier last and no hand-over moved it on
                update = {}
                later = latest_other(dossier)
                touched_now[old_code, system] = touched
                xref_alias(dossier, xref)
                if touched < later:
                    # another system handled the dossier after this one: its state stands, and this record is
                    # accounted for as having gone into the dossier that system keeps up to date
                    when = timezone.localtime(later).strftime("%d/%m/%Y %H:%M")
                    outcomes[i] = merged(dossier, f"hệ thống khác xử lý hồ sơ {dossier.code} sau, lúc {when} / "
                                                  f"another system handled the dossier later")
                    continue
                if dossier.pk not in handed_over:
                    update = self._current(dossier, fields)
                    change(dossier, update)
                outcomes[i] = loaded(dossier, refreshed=sorted(update))
                continue
            target, why = self._same(system, old_code, xref, fields, holders)
            if isinstance(target, str):
                outcomes[i] = quarantined(target, field="xref")
                continue
            if target is not None:
                aliases.append(DossierAlias(code=old_code, dossier=target, source_system=system, touched_at=touched))
                update = self._gaps(target, fields)
                if touched > latest_other(target):
                    update |= self._current(target, fields)
                change(target, update)
                xref_alias(target, xref)
                batch_codes.add(old_code)
                outcomes[i] = merged(target, f"cùng hồ sơ {target.code} ở hệ thống khác ({why}) / the same dossier "
                                             f"in another system")
                continue
            found = holders.get(old_code, [])
            keep_code = CODE_PATTERN.match(old_code) and not found
            code = old_code if keep_code else _pending_code(system, old_code)
            batch_codes.update({code, old_code})
            if xref:
                batch_codes.add(xref)
            new.append((i, Dossier(code=code, **fields), old_code, xref, touched))
        if changed:
            names = sorted(set().union(*(names for _, names in changed.values())))
            Dossier.objects.bulk_update([d for d, _ in changed.values()], names, batch_size=500)
        for (code, source), at in touched_now.items():
            DossierAlias.objects.filter(code=code, source_system=source).update(touched_at=at)
        _insert([d for _, d, _, _, _ in new])
        for i, dossier, old_code, xref, touched in new:
            aliases.append(DossierAlias(code=old_code, dossier=dossier, source_system=system, touched_at=touched))
            xref_alias(dossier, xref)
            if dossier.code == old_code:
                outcomes[i] = loaded(dossier)
            else:   # numbered at the end of the run (finish)
                outcomes[i] = (loaded(dossier, collision=old_code, renumbered=True) if holders.get(old_code)
                               else loaded(dossier, renumbered=True))
        _insert(aliases)
        return outcomes

    @staticmethod
    def _same(system: str, old_code: str, xref: str, fields: dict[str, Any],
              holders: dict[str, list[tuple[DossierAlias, Dossier]]]) -> tuple[Dossier | str | None, str]:
        """The dossier another system already holds that this record is, with why; a reason (str) when the
        cross-reference names several."""
        if xref:
            named = {d.pk: d for alias, d in holders.get(xref, []) if alias.source_system != system}
            if len(named) > 1:
                return (f"mã liên thông “{xref}” thuộc {len(named)} hồ sơ khác nhau, không gộp được / the cross-"
                        f"reference names {len(named)} dossiers: {', '.join(d.code for d in named.values())}"), ""
            if named:
                return next(iter(named.values())), f"mã liên thông {xref}"
        for alias, d in holders.get(old_code, []):
            if alias.source_system.endswith(XREF) and alias.source_system != system + XREF:
                return d, f"{alias.source_system.removesuffix(XREF)} dẫn chiếu mã {old_code}"
        for _, d in holders.get(old_code, []):
            if _same_dossier(d, fields["applicant_id_hash"], fields["applicant_name"], fields["procedure"]):
                return d, f"cùng mã {old_code}, cùng người nộp"
        return None, ""

    @classmethod
    def _current(cls, dossier: Dossier, fields: dict[str, Any]) -> dict[str, Any]:
        """What the system that touched the dossier last says of its state: status, agency, dates, result."""
        update = {}
        for k in cls.CURRENT:
            value = fields[k]
            if k == "agency":
                if dossier.agency_id != value.pk:
                    update[k] = value
            elif k == "finished_at" and fields["status"] not in CLOSED:
                if dossier.finished_at is not None:
                    update[k] = None   # open again in the system that handled it last
            elif value not in (None, "") and getattr(dossier, k) != value:
                update[k] = value
        return update

    @staticmethod
    def _gaps(dossier: Dossier, fields: dict[str, Any]) -> dict[str, Any]:
        """The second system's record completes the first where the first knows nothing."""
        return {k: v for k, v in fields.items()
                if k in {"applicant_id_hash", "phone_tail_hash", "applicant_address", "result", "finished_at",
                         "returned_at"} and v and not getattr(dossier, k)}

    def finish(self, ctx) -> None:
        """Fresh national numbers for the dossiers this run (or a run killed before its end) left pending, now
        that every code the old systems issued is reserved: each from the allocator, with its alias."""
        pending = list(Dossier.objects.filter(code__startswith=PENDING, aliases__source_system=ctx.mapping.system)
                       .select_related("receiving_agency").order_by("received_at", "pk").distinct())
        for dossier in pending:
            with transaction.atomic():
                # locked and read again: a run of another system finishing at the same time skips it
                if not Dossier.objects.select_for_update().filter(pk=dossier.pk, code__startswith=PENDING).exists():
                    continue
                code = next_code(dossier.receiving_agency, timezone.localdate(dossier.received_at))
                Dossier.objects.filter(pk=dossier.pk).update(code=code)
                DossierAlias.objects.create(code=code, dossier_id=dossier.pk)


@register_importer
class HistoryImporter(DomainImporter):
    name = "dossiers.history"
    target_model = "dossiers.DossierEvent"
    reconcile_fields = {"actor": "actor", "actor_title": "actor_title"}
    reconcile_exclude = {
        "dossier_code": "tìm hồ sơ theo mã cũ của hệ thống; chưa có thì cách ly / finds the dossier by the system's "
                        "old code; quarantined until it is loaded",
        "at": DossierImporter._PARSED_TIME,
        "agency": "mã cơ quan, tra thành cơ quan và tên lúc đó / the agency code, looked up with its name then",
        "action": "thao tác nền tảng không có thì ghi “imported” và giữ tên cũ trong ghi chú / an action the "
                  "platform lacks is stored as imported, its old name kept in the note",
        "note": "có thể mang tên thao tác cũ ở đầu (xem action) / may carry the old action's name first (see action)",
        "status_from": "mã trạng thái quốc gia 1–10; sai thì cách ly / a national status code 1–10; a bad one is "
                       "quarantined",
        "status_to": "mã trạng thái quốc gia 1–10; sai thì cách ly / a national status code 1–10; a bad one is "
                     "quarantined",
    }

    def prepare(self, ctx) -> None:
        self.lookups = _Lookups()

    def import_record(self, record, mapped, ctx) -> Outcome:
        return self.import_batch([(record, mapped)], ctx)[0]

    def import_batch(self, items, ctx) -> list[Outcome]:
        """A batch in four queries whatever its size: the dossiers by their codes in this system, the records
        already imported (provenance), the other systems' steps of those dossiers (the same step twice is
        merged), then every new event in one bulk insert."""
        system = ctx.mapping.system
        codes = [normalise_code(m.get("dossier_code")) for _, m in items]
        dossier_of = dict(DossierAlias.objects.filter(code__in=set(codes), source_system=system).values_list(
            "code", "dossier_id"))
        done_pk = dict(Provenance.objects.filter(
            content_type=ContentType.objects.get_for_model(DossierEvent), source_system=system,
            source_key__in={str(r.key) for r, _ in items}).values_list("source_key", "object_pk"))
        done = DossierEvent.objects.in_bulk([int(pk) for pk in done_pk.values()]) if done_pk else {}
        # the same step from another system: same dossier, moment and actor (folded), and the note as the old
        # system wrote it (a step none of the platform's keeps its own name in source_action, not in the note)
        twins: dict[tuple, list[DossierEvent]] = {}
        for event in DossierEvent.objects.filter(dossier_id__in=set(dossier_of.values())).exclude(
                source_system=system).only("dossier_id", "at", "actor", "action", "note", "source_action",
                                           "source_system").order_by("at", "id"):
            twins.setdefault((event.dossier_id, event.at, fold(event.actor)), []).append(event)
        outcomes: list[Outcome | None] = [None] * len(items)
        new: list[tuple[int, DossierEvent]] = []
        for i, ((record, mapped), code) in enumerate(zip(items, codes, strict=True)):
            dossier_id = dossier_of.get(code)
            if dossier_id is None:
                outcomes[i] = quarantined(
                    f"{ctx.label(record)}: hồ sơ “{code}” chưa được nạp từ {system} (chạy luồng hồ sơ trước) / "
                    f"dossier not loaded from this system (run the dossier stream first)")
                continue
            if (pk := done_pk.get(str(record.key))) is not None and int(pk) in done:
                outcomes[i] = loaded(done[int(pk)])
                continue
            try:
                event = self._event(record, mapped, system, dossier_id)
            except MappingError as exc:
                outcomes[i] = quarantined(str(exc), field=exc.field)
                continue
            twin = next((t for t in twins.get((dossier_id, event.at, fold(event.actor)), [])
                         if fold(event.note) in _original_notes(t)), None)
            if twin is not None:
                outcomes[i] = merged(twin, f"cùng bước đã có từ {twin.source_system} / the same step from another "
                                           f"system")
                continue
            new.append((i, event))
        _insert([e for _, e in new])
        for i, event in new:
            outcomes[i] = loaded(event)
        return outcomes

    def _event(self, record, mapped, system: str, dossier_id: int) -> DossierEvent:
        """The step as it will be stored (NFC text, as DossierEvent.save would leave it)."""
        at = parse_datetime("at", mapped.get("at"))
        if at is None:
            raise MappingError("at", "thiếu thời điểm xử lý / no time")
        status_to = parse_status("status_to", mapped.get("status_to"), required=False)
        note = nfc(mapped.get("note"))
        action = str(mapped.get("action") or "")
        agency_text = str(mapped.get("agency") or "")
        agency = self.lookups.agency("agency", agency_text) if agency_text else None
        event = DossierEvent(
            dossier_id=dossier_id, at=at, actor=nfc(mapped.get("actor")) or f"{system}:?",
            actor_title=nfc(mapped.get("actor_title")), agency=agency,
            agency_name=agency.name if agency else nfc(agency_text),
            action=action if action in _ACTIONS else Action.IMPORTED,
            status_from=parse_status("status_from", mapped.get("status_from"), required=False),
            status_to=status_to, note=note, source_action="" if action in _ACTIONS else nfc(action),
            source_system=system, source_key=record.key,
        )
        return event


def _original_notes(event: DossierEvent) -> set[str]:
    """The note as the old system wrote it, folded. Steps imported before source_action existed carry the old
    action's name in front of the note ("Xử lý: …"): both readings are offered for those."""
    notes = {fold(event.note)}
    if event.action == Action.IMPORTED and not event.source_action:
        head, sep, rest = event.note.partition(": ")
        notes.add(fold(rest) if sep else "")
    return notes
