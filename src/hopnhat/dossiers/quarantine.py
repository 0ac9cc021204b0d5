"""Dossiers an import could not load yet (quarantined, waiting for a person's decision), as the citizen who holds
their old code must hear of them: the dossier is being transferred, and whom to contact — never "not found".

`open_records(code)` is the one place that reads the consolidation engine's staging for this; when the engine
offers a selector listing open quarantined records (consolidation.selectors), re-point it there."""

import dataclasses
from typing import Any

from django.db.models import Q

from hopnhat.consolidation.api import MappingError
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MigrationRun, Outcome, StagedRecord
from hopnhat.consolidation.staging import held_in_clear
from hopnhat.core.pii import normalise_id_number
from hopnhat.org.agencies import default_current_agency, resolve_agency
from hopnhat.org.models import Agency

from .codes import normalise_code

IMPORTER = "dossiers.dossier"


@dataclasses.dataclass(frozen=True)
class Waiting:
    """One quarantined dossier record: where it is staged, why, and the mapping of its stream."""

    system: str
    stream: str
    key: str
    reason: str
    raw: dict[str, Any]
    mapping: Mapping


def _dossier_streams() -> dict[tuple[str, str], Mapping]:
    """(system, stream) → its latest mapping, for every stream the dossier importer ran on."""
    streams: dict[tuple[str, str], Mapping] = {}
    for system, stream, mapping in MigrationRun.objects.filter(importer=IMPORTER, dry_run=False).order_by(
            "-id").values_list("system", "stream", "mapping"):
        if (system, stream) not in streams:
            with_fields = {**mapping, "fields": {k: {kk: vv for kk, vv in v.items() if vv is not None}
                                                 for k, v in (mapping.get("fields") or {}).items()}}
            streams[system, stream] = Mapping.from_dict(with_fields)
    return streams


def _code_column(mapping: Mapping) -> str | None:
    return next((rule.source for rule in mapping.fields if rule.target == "code"), None)


def open_records(code: str) -> list[Waiting]:
    """The quarantined dossier records that carry `code` (their source key or mapped code column)."""
    code = normalise_code(code)
    if not code:
        return []
    found = []
    for (system, stream), mapping in _dossier_streams().items():
        match = Q(key__iexact=code)
        if column := _code_column(mapping):
            match |= Q(**{f"raw__{column}__iexact": code})
        rows = StagedRecord.objects.filter(system=system, stream=stream, outcome=Outcome.QUARANTINED).filter(
            match).values_list("key", "reason", "raw")
        found += [Waiting(system, stream, key, reason, raw, mapping) for key, reason, raw in rows]
    return found


def mapped_value(waiting: Waiting, target: str) -> Any:
    """One target field of the record through its mapping's rule alone (value map included): the other fields
    may be what quarantined it. None when the mapping has no such field, when staging keeps its column only as a
    keyed hash or not at all (the mapping's `pii:`; the hash is never the value), or the value cannot be mapped."""
    rules = [rule for rule in waiting.mapping.fields if rule.target == target]
    if not rules or not all(held_in_clear(waiting.mapping, rule.source) for rule in rules):
        return None
    try:
        return dataclasses.replace(waiting.mapping, fields=rules).map_fields(waiting.raw).get(target)
    except MappingError:
        return None


def receiving_agency(waiting: Waiting) -> Agency | None:
    """The agency that will receive the dossier: the one the record names, or the agency acting for it now."""
    try:
        matches = resolve_agency(str(mapped_value(waiting, "agency") or ""))
    except Exception:  # noqa: BLE001 — a malformed code in an old record: no agency to name
        return None
    if len(matches) != 1:
        return None
    agency = matches[0]
    return agency if agency.is_active else default_current_agency(agency)


def phone_matches(waiting: Waiting, tail_digits: str) -> bool | None:
    """Whether the record's phone ends in `tail_digits`; None when the record holds no phone to compare — also
    when staging keeps the phone only as a keyed hash of the whole number (`{dien_thoai: hash}`), whose last
    digits cannot be compared: the notice then names only the receiving agency's public contact."""
    phone = normalise_id_number(str(mapped_value(waiting, "phone") or ""))
    if len(phone) < 4:
        return None
    return phone[-4:] == tail_digits


def contact(agency: Agency | None) -> dict[str, str] | None:
    if agency is None:
        return None
    return {"name": agency.name, "code": agency.code or "", "phone": agency.contact_phone,
            "email": agency.contact_email, "address": agency.contact_address}


def transfer_notice(code: str, tail_digits: str) -> dict[str, Any] | None:
    """What the public look-up says of a code only a quarantined record carries: that the dossier is being
    transferred to the platform, and the receiving agency's contact. The phone factor is checked like a
    loaded dossier's when the record holds a phone; None when no such record matches."""
    for waiting in open_records(code):
        if phone_matches(waiting, tail_digits) is False:
            continue
        return {"code": normalise_code(code), "transferring": True, "contact": contact(receiving_agency(waiting))}
    return None
