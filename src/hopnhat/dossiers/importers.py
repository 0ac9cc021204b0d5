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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.api import (
    DomainImporter,
    MappingError,
    Outcome,
    loaded,
    merged,
    quarantined,
    register_importer,
)
from hopnhat.core import provenance
from hopnhat.core.pii import keyed_hash, normalise_id_number
from hopnhat.core.text import fold, nfc
from hopnhat.org.agencies import resolve_agency
from hopnhat.org.models import Agency

from .codes import CODE_PATTERN, next_code, normalise_code
from .models import CLOSED, Action, Dossier, DossierAlias, DossierEvent, Procedure, Status
from .workdays import add_working_days

_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                     "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%Y%m%d%H%M%S"]


def parse_datetime(field: str, value: Any) -> datetime.datetime | None:
    """A moment as old systems write it; naive values are Vietnam time."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = re.sub(r"(\.\d+)?([+-]\d\d:?\d\d|Z)?$", "", str(value).strip())
        for fmt in _DATETIME_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, fmt)  # noqa: DTZ007 — made aware just below
                break
            except ValueError:
                continue
        else:
            raise MappingError(field, f"thời điểm “{value}” không đọc được / unreadable date-time {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_status(field: str, value: Any, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        status = int(str(value).strip())
    except ValueError:
        status = 0
    if status not in Status.values:
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


@register_importer
class DossierImporter(DomainImporter):
    name = "dossiers.dossier"
    target_model = "dossiers.Dossier"
    reconcile_fields = {"applicant_name": "applicant_name", "status": "status"}

    def import_record(self, record, mapped, ctx) -> Outcome:
        system = ctx.mapping.system
        where = ctx.label(record)
        old_code = normalise_code(mapped.get("code"))
        if not old_code:
            return quarantined(f"{where}: thiếu mã hồ sơ / no dossier code")
        procedure = (Procedure.objects.filter(code=str(mapped.get("procedure", "")).upper()).first()
                     or Procedure.objects.filter(national_code=str(mapped.get("procedure", ""))).first())
        if procedure is None:
            return quarantined(f"{where}: thủ tục “{mapped.get('procedure')}” không có trong danh mục / "
                               f"procedure not in the catalogue", field="procedure")
        agency = find_agency("agency", mapped.get("agency"))
        status = parse_status("status", mapped.get("status"))
        received_at = parse_datetime("received_at", mapped.get("received_at"))
        if received_at is None:
            raise MappingError("received_at", "thiếu ngày tiếp nhận / no reception date")
        due = mapped.get("due_date")
        if isinstance(due, str) and due:
            due = timezone.localdate(parse_datetime("due_date", due))
        due = due or add_working_days(timezone.localdate(received_at), procedure.processing_days)
        finished_at = parse_datetime("finished_at", mapped.get("finished_at"))
        if finished_at is None and status in CLOSED:
            finished_at = parse_datetime("returned_at", mapped.get("returned_at"))
        fields = {
            "procedure": procedure, "summary": nfc(mapped.get("summary")) or procedure.name,
            "channel": int(mapped.get("channel") or 1), "applicant_name": nfc(mapped.get("applicant_name")),
            "applicant_id_hash": mapped.get("id_hash") or "",
            "phone_tail_hash": keyed_hash(normalise_id_number(str(mapped.get("phone") or ""))[-4:]),
            "applicant_address": nfc(mapped.get("address")), "receiving_agency": agency, "agency": agency,
            "status": status, "received_at": received_at, "due_date": due, "finished_at": finished_at,
            "returned_at": parse_datetime("returned_at", mapped.get("returned_at")),
            "result": nfc(mapped.get("result")),
        }
        with transaction.atomic():
            known = DossierAlias.objects.filter(code=old_code, source_system=system).select_related("dossier").first()
            if known:   # a later run of the same system: refresh what the old system may have changed since
                dossier = known.dossier
                changed = {k: v for k, v in fields.items()
                           if k in {"status", "finished_at", "returned_at", "result", "due_date"}
                           and getattr(dossier, k) != v and v not in (None, "")}
                if changed and dossier.agency_id == agency.pk:
                    Dossier.objects.filter(pk=dossier.pk).update(**changed)
                return loaded(dossier, refreshed=sorted(changed))
            holders = [a.dossier for a in DossierAlias.objects.filter(code=old_code).select_related(
                "dossier__procedure")]
            same = next((d for d in holders if _same_dossier(d, fields["applicant_id_hash"],
                                                             fields["applicant_name"], procedure)), None)
            if same is not None:
                DossierAlias.objects.create(code=old_code, dossier=same, source_system=system)
                self._fill_gaps(same, fields)
                return merged(same, f"cùng hồ sơ {same.code} ở hệ thống khác / the same dossier in another system")
            keep_code = CODE_PATTERN.match(old_code) and not holders
            code = old_code if keep_code else next_code(agency, timezone.localdate(received_at))
            dossier = Dossier.objects.create(code=code, **fields)
            DossierAlias.objects.create(code=old_code, dossier=dossier, source_system=system)
            if code != old_code:
                DossierAlias.objects.create(code=code, dossier=dossier)
        if holders:
            return loaded(dossier, collision=old_code, new_code=code)
        return loaded(dossier)

    @staticmethod
    def _fill_gaps(dossier: Dossier, fields: dict[str, Any]) -> None:
        """The second system's record completes the first; where both know the state, the further one wins
        (the dossier moved on in the system that handled it last)."""
        update = {k: v for k, v in fields.items()
                  if k in {"applicant_id_hash", "phone_tail_hash", "applicant_address", "result", "finished_at",
                           "returned_at"} and v and not getattr(dossier, k)}
        if fields["status"] in CLOSED and dossier.status not in CLOSED:
            update |= {"status": fields["status"], "agency": fields["agency"]}
        if update:
            Dossier.objects.filter(pk=dossier.pk).update(**update)


@register_importer
class HistoryImporter(DomainImporter):
    name = "dossiers.history"
    target_model = "dossiers.DossierEvent"
    reconcile_fields = {"actor": "actor"}

    def import_record(self, record, mapped, ctx) -> Outcome:
        system = ctx.mapping.system
        where = ctx.label(record)
        code = normalise_code(mapped.get("dossier_code"))
        alias = DossierAlias.objects.filter(code=code, source_system=system).select_related("dossier").first()
        if alias is None:
            return quarantined(f"{where}: hồ sơ “{code}” chưa được nạp từ {system} (chạy luồng hồ sơ trước) / "
                               f"dossier not loaded from this system (run the dossier stream first)")
        dossier = alias.dossier
        if done := provenance.find_target(DossierEvent, source_system=system, source_key=record.key):
            return loaded(done)
        at = parse_datetime("at", mapped.get("at"))
        if at is None:
            raise MappingError("at", "thiếu thời điểm xử lý / no time")
        status_to = parse_status("status_to", mapped.get("status_to"), required=False)
        note = nfc(mapped.get("note"))
        twin = DossierEvent.objects.filter(dossier=dossier, at=at, status_to=status_to).exclude(
            source_system=system).first()
        if twin is not None and fold(twin.note) == fold(note):
            return merged(twin, f"cùng bước đã có từ {twin.source_system} / the same step from another system")
        action = str(mapped.get("action") or "")
        agency_text = str(mapped.get("agency") or "")
        agency = find_agency("agency", agency_text) if agency_text else None
        event = DossierEvent.objects.create(
            dossier=dossier, at=at, actor=nfc(mapped.get("actor")) or f"{system}:?",
            actor_title=nfc(mapped.get("actor_title")), agency=agency,
            agency_name=agency.name if agency else nfc(agency_text),
            action=action if action in Action.values else Action.IMPORTED,
            status_from=parse_status("status_from", mapped.get("status_from"), required=False),
            status_to=status_to, note=note if action in Action.values else nfc(f"{action}: {note}".strip(": ")),
            source_system=system, source_key=record.key,
        )
        return loaded(event)
