"""Domain importers that merge the dossiers of old one-door systems into the one store, through the
consolidation engine (`hopnhat consolidate run` with a mapping per data set):

    importer: dossiers.dossier   fields: code, procedure, applicant_name, id_hash (a `pii:` column), phone,
                                 address, agency, status, received_at, due_date, finished_at, returned_at,
                                 result, summary, channel
    importer: dossiers.history   fields: dossier_code, at, actor, actor_title, agency, action, status_from,
                                 status_to, note

The mapping's value maps turn the old system's status names into the national 1–10 codes and its agency codes
into mã định danh (the agency is kept as it was, closed or not: `hopnhat dossiers handover` then moves
in-progress dossiers on, as history events). Run the dossier stream of every system before their history.

Codes: a dossier keeps its old code when it has the national form and no other dossier holds it; the same code
with the same applicant and procedure in a second system is the same dossier (merged, both histories kept); the
same code for a different dossier is a collision: the newcomer gets a fresh national code and keeps its old one
as an alias of that system.
"""

import datetime
import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
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

from .codes import CODE_PATTERN, next_code, normalise_code
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


class _Lookups:
    """What a run resolves again and again, read once per run: catalogue entries, agencies (through their
    lineage, resolve_agency) and due dates (the working-day calendar)."""

    def __init__(self):
        self.procedures: dict[str, Procedure | None] = {}
        self.agencies: dict[str, Agency | MappingError] = {}
        self.due: dict[tuple[datetime.date, int], datetime.date] = {}

    def load_procedures(self, values) -> None:
        """One query for every catalogue entry the batch names that this run has not seen yet."""
        wanted = {str(v or "") for v in values} - self.procedures.keys()
        if not wanted:
            return
        found = list(Procedure.objects.filter(Q(code__in={v.upper() for v in wanted}) | Q(national_code__in=wanted)))
        by_code = {p.code: p for p in found}
        by_national: dict[str, Procedure] = {}
        for p in sorted(found, key=lambda p: p.code):   # the catalogue's order, as .first() had it
            by_national.setdefault(p.national_code, p)
        for v in wanted:
            self.procedures[v] = by_code.get(v.upper()) or by_national.get(v)

    def procedure(self, value) -> Procedure | None:
        self.load_procedures([value])
        return self.procedures[str(value or "")]

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
    }
    REFRESHED = ("status", "finished_at", "returned_at", "result", "due_date")

    def prepare(self, ctx) -> None:
        self.lookups = _Lookups()

    def _fields(self, record, mapped, ctx) -> tuple[str, dict[str, Any]] | Outcome:
        """(old code, the dossier's fields) of one record, or the quarantine outcome; MappingError for a bad field."""
        where = ctx.label(record)
        old_code = normalise_code(mapped.get("code"))
        if not old_code:
            return quarantined(f"{where}: thiếu mã hồ sơ / no dossier code")
        procedure = self.lookups.procedure(mapped.get("procedure", ""))
        if procedure is None:
            return quarantined(f"{where}: thủ tục “{mapped.get('procedure')}” không có trong danh mục / "
                               f"procedure not in the catalogue", field="procedure")
        agency = self.lookups.agency("agency", mapped.get("agency"))
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

    def import_batch(self, items, ctx) -> list[Outcome]:
        """A batch in a handful of queries: the catalogue once, the codes' existing aliases in one query, new
        dossiers and aliases in bulk, refreshed and completed dossiers in one bulk update. Only a code that
        must be replaced (a collision, a local code) asks the daily counter, one dossier at a time."""
        system = ctx.mapping.system
        outcomes: list[Outcome | None] = [None] * len(items)
        self.lookups.load_procedures(m.get("procedure", "") for _, m in items)
        prepared = []
        for i, (record, mapped) in enumerate(items):
            try:
                got = self._fields(record, mapped, ctx)
            except MappingError as exc:
                outcomes[i] = quarantined(str(exc), field=exc.field)
                continue
            if isinstance(got, Outcome):
                outcomes[i] = got
            else:
                prepared.append((i, *got))
        known: dict[str, Dossier] = {}
        holders: dict[str, list[Dossier]] = {}
        for alias in DossierAlias.objects.filter(code__in={code for _, code, _ in prepared}).select_related(
                "dossier__procedure").order_by("pk"):
            if alias.source_system == system:
                known[alias.code] = alias.dossier
            holders.setdefault(alias.code, []).append(alias.dossier)
        changed: dict[int, tuple[Dossier, set[str]]] = {}
        new: list[tuple[int, Dossier, str]] = []
        aliases: list[DossierAlias] = []
        batch_codes: set[str] = set()

        def change(dossier: Dossier, update: dict[str, Any]) -> None:
            if not update:
                return
            for k, v in update.items():
                setattr(dossier, k, v)
            changed.setdefault(dossier.pk, (dossier, set()))[1].update(update)

        for i, old_code, fields in prepared:
            if old_code in batch_codes:   # a code this batch has just given out: let the record path decide
                raise _BatchConflict(old_code)
            if (dossier := known.get(old_code)) is not None:
                # a later run of the same system: refresh what the old system may have changed since
                update = {k: fields[k] for k in self.REFRESHED
                          if getattr(dossier, k) != fields[k] and fields[k] not in (None, "")}
                if update and dossier.agency_id == fields["agency"].pk:
                    change(dossier, update)
                outcomes[i] = loaded(dossier, refreshed=sorted(update))
                continue
            found = holders.get(old_code, [])
            same = next((d for d in found if _same_dossier(d, fields["applicant_id_hash"],
                                                           fields["applicant_name"], fields["procedure"])), None)
            if same is not None:
                aliases.append(DossierAlias(code=old_code, dossier=same, source_system=system))
                change(same, self._gaps(same, fields))
                outcomes[i] = merged(same, f"cùng hồ sơ {same.code} ở hệ thống khác / the same dossier in "
                                           f"another system")
                continue
            keep_code = CODE_PATTERN.match(old_code) and not found
            code = old_code if keep_code else next_code(fields["agency"], timezone.localdate(fields["received_at"]))
            if code in batch_codes:
                raise _BatchConflict(code)
            batch_codes.update({code, old_code})
            new.append((i, Dossier(code=code, **fields), old_code))
        if changed:
            names = sorted(set().union(*(names for _, names in changed.values())))
            Dossier.objects.bulk_update([d for d, _ in changed.values()], names, batch_size=500)
        _insert([d for _, d, _ in new])
        for i, dossier, old_code in new:
            aliases.append(DossierAlias(code=old_code, dossier=dossier, source_system=system))
            if dossier.code != old_code:
                aliases.append(DossierAlias(code=dossier.code, dossier=dossier))
            outcomes[i] = (loaded(dossier, collision=old_code, new_code=dossier.code) if holders.get(old_code)
                           else loaded(dossier))
        _insert(aliases)
        return outcomes

    @staticmethod
    def _gaps(dossier: Dossier, fields: dict[str, Any]) -> dict[str, Any]:
        """The second system's record completes the first; where both know the state, the further one wins
        (the dossier moved on in the system that handled it last)."""
        update = {k: v for k, v in fields.items()
                  if k in {"applicant_id_hash", "phone_tail_hash", "applicant_address", "result", "finished_at",
                           "returned_at"} and v and not getattr(dossier, k)}
        if fields["status"] in CLOSED and dossier.status not in CLOSED:
            update |= {"status": fields["status"], "agency": fields["agency"]}
        return update


class _BatchConflict(Exception):
    """Two records of one batch want the same code: the engine redoes the batch one record at a time."""


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
        twins: dict[tuple, DossierEvent] = {}
        for event in DossierEvent.objects.filter(dossier_id__in=set(dossier_of.values())).exclude(
                source_system=system).only("dossier_id", "at", "status_to", "note", "source_system").order_by(
                "at", "id"):
            twins.setdefault((event.dossier_id, event.at, event.status_to), event)
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
            twin = twins.get((dossier_id, event.at, event.status_to))
            if twin is not None and fold(twin.note) == fold(event.raw_note):
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
            status_to=status_to, note=note if action in _ACTIONS else nfc(f"{action}: {note}".strip(": ")),
            source_system=system, source_key=record.key,
        )
        event.raw_note = note   # compared with a twin's note as the old system wrote it
        return event
