"""The quarantine queue: records the engine could not load, and how staff resolve them.

A quarantined staged record keeps its raw values and the reason (naming the field when a field was at fault).
Staff fix the cause — add an entry to the value map or the crosswalk (models.MappingOverride, applied by every
later run of the stream, final sync included), or correct one value with a note (models.ValueCorrection) — then
re-run just those records (engine.rerun_records). Every fix and every record that leaves the queue is written to
the audit chain in the same transaction. The CLI (`hopnhat consolidate quarantine`) and the staff pages
(/hop-nhat/cach-ly/) call these functions.
"""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry

from .mapping import Mapping
from .models import MappingOverride, MigrationRun, OverrideKind, StagedRecord, ValueCorrection

RESOLVED = "consolidation.quarantine.resolved"


class QuarantineError(ValueError):
    pass


def open_records(system: str | None = None, *, run: int | None = None, stream: str | None = None) -> QuerySet:
    """Staged records waiting for a decision: quarantined and still held by the source. By system (and stream),
    or those a run left in quarantine (the run's own, not later runs')."""
    records = StagedRecord.objects.filter(outcome="quarantined", source_deleted=False)
    if run is not None:
        records = records.filter(last_run_id=run)
    if system:
        records = records.filter(system=system)
    if stream:
        records = records.filter(stream=stream)
    return records.order_by("system", "stream", "pk")


def last_mapping(system: str, stream: str) -> Mapping | None:
    run = MigrationRun.objects.filter(system=system, stream=stream).exclude(mapping={}).order_by("-id").first()
    return Mapping.from_dict(run.mapping) if run is not None else None


def describe(record: StagedRecord, mapping: Mapping | None = None) -> dict[str, Any]:
    """One queue entry: key, reason, raw values, and where a fix goes — the field at fault, its source column,
    the value the source holds and the value map that field uses (None where the reason names no field)."""
    field = (record.detail or {}).get("field", "")
    rule = next((r for r in mapping.fields if r.target == field), None) if mapping is not None else None
    column = rule.source if rule is not None else field
    corrections = {c.column: {"old": c.old_value, "new": c.new_value, "note": c.note, "by": c.created_by}
                   for c in ValueCorrection.objects.filter(system=record.system, stream=record.stream,
                                                           key=record.key)}
    return {
        "id": record.pk, "system": record.system, "stream": record.stream, "key": record.key,
        "reason": record.reason, "field": field, "column": column,
        "value": (record.raw or {}).get(column) if column else None,
        "value_map": rule.map if rule is not None else None,
        "raw": record.raw, "run": record.last_run_id, "first_seen": record.first_seen,
        "corrections": corrections,
    }


def listing(system: str | None = None, *, run: int | None = None, stream: str | None = None) -> list[dict]:
    """Every open quarantined record (no limit), described."""
    mappings: dict[tuple[str, str], Mapping | None] = {}
    out = []
    for record in open_records(system, run=run, stream=stream).iterator(chunk_size=500):
        pair = (record.system, record.stream)
        if pair not in mappings:
            mappings[pair] = last_mapping(*pair)
        out.append(describe(record, mappings[pair]))
    return out


def add_entry(system: str, stream: str, kind: str, name: str, source_value: str, target_value: str, *,
              actor, note: str = "") -> MappingOverride:
    """A value-map entry (kind value_map, name = the map) or a crosswalk entry (kind crosswalk, name agency or
    unit) for the stream's later runs."""
    source_value, target_value = str(source_value).strip(), str(target_value).strip()
    if not source_value or not target_value:
        raise QuarantineError("cần cả giá trị cũ và giá trị mới / both the old and the new value are needed")
    if kind == OverrideKind.VALUE_MAP:
        mapping = last_mapping(system, stream)
        if mapping is None or name not in mapping.value_maps:
            raise QuarantineError(f"{system}/{stream}: không có bảng giá trị “{name}” / no value map {name!r}")
    elif kind == OverrideKind.CROSSWALK:
        if name not in {"agency", "unit"}:
            raise QuarantineError(f"bảng chuyển đổi “{name}” không có, dùng agency hoặc unit / crosswalk must be "
                                  f"agency or unit")
    else:
        raise QuarantineError(f"loại “{kind}” không hợp lệ / unknown kind {kind!r}")
    with transaction.atomic():
        entry, _ = MappingOverride.objects.update_or_create(
            system=system, stream=stream, kind=kind, name=name, source_value=source_value,
            defaults={"target_value": target_value, "note": note, "created_by": _name(actor)})
        audit.record(actor, "consolidation.quarantine.mapping_entry", entry, system=system, stream=stream,
                     kind=kind, name=name, source=source_value, target=target_value, note=note)
    return entry


def correct_value(record: StagedRecord, column: str, new_value: Any, *, actor, note: str) -> ValueCorrection:
    """Correct one source value of one staged record; the note (why, on what evidence) is required."""
    if not (note or "").strip():
        raise QuarantineError("cần ghi chú lý do sửa / a note saying why is required")
    if not column:
        raise QuarantineError("cần tên cột / the column is needed")
    old = (record.raw or {}).get(column)
    with transaction.atomic():
        correction, _ = ValueCorrection.objects.update_or_create(
            system=record.system, stream=record.stream, key=record.key, column=column,
            defaults={"old_value": old, "new_value": new_value, "note": note.strip(), "created_by": _name(actor)})
        audit.record(actor, "consolidation.quarantine.correction", record, system=record.system,
                     stream=record.stream, key=record.key, column=column, old=old, new=new_value, note=note)
    return correction


def rerun(system: str, stream: str, keys, *, actor) -> dict[str, Any]:
    """Re-run these staged records (engine.rerun_records); those that leave quarantine are audited as resolved
    with the fixes that applied to them."""
    from .engine import rerun_records

    keys = sorted(set(keys))
    before = dict(StagedRecord.objects.filter(system=system, stream=stream, key__in=keys,
                                              outcome="quarantined").values_list("key", "reason"))
    if not before:
        raise QuarantineError(f"{system}/{stream}: không có bản ghi cách ly nào trong số đã chọn / none of these "
                              f"records is quarantined")
    run = rerun_records(system, stream, list(before), actor=_name(actor))
    now = {r.key: r for r in StagedRecord.objects.filter(system=system, stream=stream, key__in=list(before))}
    resolved, still = [], []
    with transaction.atomic():
        for key, reason in before.items():
            record = now[key]
            if record.outcome == "quarantined":
                still.append({"key": key, "reason": record.reason})
                continue
            resolved.append({"key": key, "outcome": record.outcome})
            audit.record(actor, RESOLVED, record, system=system, stream=stream, key=key, run=run.pk,
                         outcome=record.outcome, was=reason,
                         fixes=[str(c) for c in ValueCorrection.objects.filter(system=system, stream=stream,
                                                                             key=key)])
    return {"run": run.pk, "balanced": run.balanced, "resolved": resolved, "still": still}


def resolved_entries(system: str | None = None, limit: int = 20):
    """The latest records resolved through the queue (audit entries, newest first)."""
    entries = AuditEntry.objects.filter(action=RESOLVED).order_by("-seq")
    if system:
        entries = entries.filter(data__system=system)
    return entries[:limit]


def _name(actor) -> str:
    return actor if isinstance(actor, str) else actor.get_username()
