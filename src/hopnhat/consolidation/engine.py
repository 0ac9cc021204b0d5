"""The migration engine: read a source into staging, hand each new or changed record to the domain importer,
and record exactly one outcome per record — in batches, each batch one transaction together with the sync
state, so a run killed at any point loses nothing and a re-run neither duplicates nor skips.

What the known tools got wrong and this engine does instead (docs anchors §0, §6):
- cursor checkpoints inside a run of equal values (Airbyte #15427): the lower bound is inclusive and records
  seen again with the same checksum are skipped by key, so equal cursor values at a batch edge are safe;
- state committed apart from the data (dlt #4052, Airbyte #11832): state is written in the batch's transaction;
- restarting from zero after a failure (pgloader): a re-run skips every record already handled unchanged;
- silently keeping the last value on merge (DHIS2): duplicates are merged only by exact-key rules; uncertain
  pairs go to the review queue and every source record keeps its own staged row and provenance.

One run per stream at a time: a run that starts marks any run of its stream still "running" as interrupted
(that is how a killed run is recognised).
"""

import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone

from hopnhat.core import audit, pii
from hopnhat.core.models import Provenance

from . import api, bulk, encodings, reconciliation
from .mapping import Mapping
from .models import OUTCOMES, MigrationRun, ReviewItem, RunStatus, StagedRecord, SyncState
from .staging import staging_record

log = logging.getLogger(__name__)
_PII_DIGITS = {9, 12}  # CMND (9) and CCCD (12)


class RunContext(api.ImportContext):
    """What importers get: the mapping's field map and crosswalks, the review queue, record labels."""

    def __init__(self, run: MigrationRun, mapping: Mapping, actor: str, dry_run: bool, source: api.Source):
        self.run, self.mapping, self.actor, self.dry_run, self.source = run, mapping, actor, dry_run, source
        self._agencies: dict[str, Any] = {}   # agency code → the agency acting for it
        self._by_value: dict[str, Any] = {}   # old value as the source holds it → the same
        self.reviews = 0

    def map_fields(self, data):
        return self.mapping.map_fields(data)

    def label(self, record: api.SourceRecord) -> str:
        if self.source.config.get("key"):
            return f"{self.source.describe()}, khóa {record.key}"
        return record.key

    def crosswalk_unit(self, value: str, at=None):
        """Old unit code or name → the current units it lives on in (several for a split; [] when unknown)."""
        from hopnhat.org import lineage

        value = self.mapping.crosswalks.get("unit", {}).get(value, value)
        units = {}
        for match in lineage.resolve(value):
            for edge in lineage.current(match.unit, at):
                units[edge.unit.pk] = edge.unit
        return list(units.values())

    def crosswalk_agency(self, value: str):
        """Old agency code (or one the mapping's crosswalk renames) → the active agency acting for it today.
        None when unknown; MappingError when a split leaves several and no default."""
        if value in self._by_value:  # asked once per record: each old value's answer is kept for the run
            return self._by_value[value]
        from hopnhat.org.agencies import current_agencies, default_current_agency
        from hopnhat.org.models import Agency

        code = self.mapping.crosswalks.get("agency", {}).get(value, value)
        if code not in self._agencies:
            agency = Agency.objects.filter(code=code).first()
            if agency is not None and not agency.is_active:
                edges = current_agencies(agency)
                agency = edges[0].agency if len(edges) == 1 else default_current_agency(agency)
                if agency is None:
                    raise api.MappingError("agency", f"cơ quan “{code}” đã dừng, không rõ cơ quan kế thừa "
                                                     f"/ agency {code} is closed without a single successor")
            self._agencies[code] = agency
        self._by_value[value] = self._agencies[code]
        return self._agencies[code]

    def review(self, kind: str, left: Model | api.Ref, right: Model | api.Ref, score: float, **detail):
        agency = detail.pop("agency", None)
        staged = detail.pop("staged", None)
        (left_type, left_pk), (right_type, right_pk) = _target_ref(left), _target_ref(right)
        item, created = ReviewItem.objects.get_or_create(
            kind=kind, left_type_id=left_type, left_pk=left_pk, right_type_id=right_type, right_pk=right_pk,
            defaults={"system": self.mapping.system, "score": score, "detail": detail, "agency": agency,
                      "staged": staged})
        self.reviews += created
        return item


@dataclass
class Counters:
    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    repeated: int = 0        # the same key again within this run (boundary or a record updated mid-scan)
    reimported: int = 0      # … of which with new content, so imported again
    deleted: int = 0
    key_scanned: int | None = None   # keys the source held when an incremental run looked for deletions
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "new": self.new, "changed": self.changed, "unchanged": self.unchanged,
                "repeated": self.repeated, "reimported": self.reimported, "deleted": self.deleted,
                "key_scanned": self.key_scanned, "outcomes": dict(self.outcomes)}


class Staged(NamedTuple):
    """What a batch needs to know of a record already staged (a tuple, not a model instance: read per row)."""

    pk: int
    key: str
    checksum: str
    outcome: str
    reason: str
    target_type_id: int | None
    target_pk: str
    source_deleted: bool
    last_run_id: int


_STAGED_READ = ", ".join(f'"{c}"' for c in ("id", "key", "checksum", "outcome", "reason", "target_type_id",
                                           "target_pk", "source_deleted", "last_run_id"))


_type_ids: dict[type, int] = {}


def _target_ref(target) -> tuple[int, str] | None:
    """(content type id, primary key as text) of an outcome's target: a model instance or an api.Ref."""
    if target is None:
        return None
    model = target.model if isinstance(target, api.Ref) else type(target)
    if model not in _type_ids:  # ContentType's own cache goes through the router on every call
        _type_ids[model] = ContentType.objects.get_for_model(model).pk
    return _type_ids[model], str(target.pk)


class Progress:
    """What the CLI shows; the engine calls these and nothing else. The default shows nothing."""

    def start(self, total: int | None, description: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


def _hash_pii(mapping: Mapping, data: dict[str, Any]) -> dict[str, Any]:
    """Personal ID numbers are replaced by their keyed hash before the record is staged or checksummed."""
    problems = {}
    for column in mapping.pii:
        value = data.get(column)
        if value in (None, ""):
            continue
        digits = pii.normalise_id_number(str(value))
        if len(digits) not in _PII_DIGITS:
            problems[column] = (f"số định danh có {len(digits)} chữ số, cần 9 hoặc 12 "
                                f"/ ID number has {len(digits)} digits, expected 9 or 12")
        data[column] = pii.keyed_hash(digits)
    if problems:
        data["_pii_problems"] = problems
    return data


class Engine:
    def __init__(self, mapping: Mapping, *, actor: str, dry_run: bool = False, progress: Progress | None = None,
                 full_scan: bool = False, retry_quarantined: bool = False, partial: bool = False):
        from .models import MappingOverride, ValueCorrection

        mapping.with_fixes(MappingOverride.objects.filter(system=mapping.system, stream=mapping.stream),
                           ValueCorrection.objects.filter(system=mapping.system, stream=mapping.stream))
        # partial: a re-run of chosen staged records (rerun_records): no cursor, no look for deletions
        self.partial = partial
        self.mapping, self.actor, self.dry_run = mapping, actor, dry_run
        self.progress = progress or Progress()
        self.force_full_scan, self.retry_quarantined = full_scan, retry_quarantined
        self.importer = api.importer(mapping.importer)()
        self.target_model = apps.get_model(self.importer.target_model) if self.importer.target_model else None
        self.source = mapping.build_source()
        self.counters = Counters()
        self.field_checks: dict[str, dict[str, Any]] = {}
        self.reconcile_spec, excluded, unaccounted = reconciliation.field_plan(self.importer, mapping,
                                                                               self.target_model)
        for name, reason in excluded.items():
            self.field_checks[name] = reconciliation.new_field_check(name, excluded=reason)
        for name in unaccounted:
            self.field_checks[name] = reconciliation.new_field_check(name, unaccounted=True)
        mapped_names = {rule.target for rule in mapping.fields}
        self.other_fields = [f for f in self.importer.reconcile_other_fields if f in mapped_names]
        for name in self.other_fields:
            self.field_checks[name] = reconciliation.new_field_check(name)
        # every mapped field whose values are checked for garbled text: {mapped field: its check}
        self.garble_checks = {source: self.field_checks.setdefault(target, reconciliation.new_field_check(source))
                              for target, source in self.reconcile_spec.items()}
        self.garble_checks.update({name: self.field_checks[name]
                                   for name in [*excluded, *unaccounted, *self.other_fields]})
        if not mapping.fields:  # the record passed through: only the fields the importer declares
            self.garble_checks = {source: self.field_checks[target] for target, source in self.reconcile_spec.items()}
        self.batches = self.written = 0
        self.analyzed_at = 500  # rows written when the planner's statistics were last refreshed

    # -- the run ---------------------------------------------------------------------------------------------

    def run(self) -> MigrationRun:
        with _batch_gc():
            return self._run()

    def _run(self) -> MigrationRun:
        m = self.mapping
        from .inventory.register import require_registered

        require_registered(m.system)  # one register of old systems: the mapping names its inventory entry
        _type_ids.clear()  # content type ids belong to a database, which a process may change (tests)
        MigrationRun.objects.filter(system=m.system, stream=m.stream, status=RunStatus.RUNNING).update(
            status=RunStatus.INTERRUPTED, finished_at=timezone.now(),
            error="tiến trình dừng giữa chừng / the process stopped before finishing")
        state, _ = SyncState.objects.get_or_create(system=m.system, stream=m.stream)
        since = None if (self.force_full_scan or not m.cursor) else state.cursor
        self.run_row = MigrationRun.objects.create(
            system=m.system, stream=m.stream, importer=m.importer, mapping=m.as_dict(), actor=self.actor,
            dry_run=self.dry_run, full_scan=since is None and not self.partial, cursor_from=since)
        self.ctx = RunContext(self.run_row, m, self.actor, self.dry_run, self.source)
        self.importer.prepare(self.ctx)
        self.cursor = since
        try:
            self.progress.start(self.source.estimate() if since is None else None,
                                f"{m.system}/{m.stream}")
            with _rolled_back(self.dry_run):
                with _reader(self.source, since, m) as reader:
                    for batch in reader:
                        self._batch(batch)
                if self.run_row.full_scan:
                    self._detect_deletions()
                    self.run_row.deletion_scan = True
                elif not self.partial and self._key_scan_due():
                    self._detect_deletions_by_keys()
                    self.run_row.deletion_scan = True
                self.importer.finish(self.ctx)
            self.progress.finish()
        except Exception as exc:
            self.run_row.status, self.run_row.error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
            self.run_row.finished_at = timezone.now()
            self.run_row.totals = self.counters.as_dict()
            self.run_row.save()
            raise
        if (not self.dry_run and not self.partial and m.cursor and not self.source.ordered_by_cursor
                and self.cursor is not None):
            SyncState.objects.filter(pk=state.pk).update(cursor=self.cursor, run=self.run_row)
        if not self.dry_run and self.run_row.full_scan:
            SyncState.objects.filter(pk=state.pk).update(scan_complete_run=self.run_row)
        run = self.run_row
        run.totals = self.counters.as_dict()
        run.field_checks = reconciliation.finish_field_checks(self.field_checks)
        run.totals["reviews"] = self.ctx.reviews
        run.totals["staged_touched"] = 0 if self.dry_run else StagedRecord.objects.filter(last_run=run).count()
        run.cursor_to = self.cursor
        run.status, run.finished_at = RunStatus.FINISHED, timezone.now()
        run.save()
        result = reconciliation.reconcile_run(run)
        run.balanced = result["balanced"]
        run.save(update_fields=["balanced"])
        reconciliation.write_report(run, result)
        if not self.dry_run:
            audit.record(self.actor, "consolidation.run", run, system=m.system, stream=m.stream,
                         totals=run.totals, balanced=run.balanced)
        return run

    # -- one batch: one transaction ----------------------------------------------------------------------------

    def _batch(self, records: list["Prepared"]) -> None:
        with transaction.atomic():  # a savepoint inside a dry run's transaction
            _batch_settings()
            self._handle(records)
        self.batches += 1
        self._refresh_statistics(len(records))
        if not gc.isenabled():  # see _batch_gc: the batch is garbage now, so collecting is cheap
            gc.collect(2 if self.batches % _FULL_GC_EVERY == 0 else 1)
        self.progress.advance(len(records))

    def _refresh_statistics(self, written: int) -> None:
        """ANALYZE the tables a first run fills each time they have grown fourfold (PostgreSQL). Until autovacuum
        gets there the planner believes them nearly empty and looks keys up by scanning the whole table, so every
        batch cost more than the one before (the rate fell from 1,757 to 955 rows/s between 20k and 1M rows).
        Fourfold rather than twofold: half the ANALYZEs, and a plan made for a quarter of the rows still probes."""
        self.written += written
        if self.dry_run or not bulk.is_postgresql() or self.written < 4 * self.analyzed_at:
            return
        self.analyzed_at = self.written
        models = [StagedRecord, Provenance, self.target_model] if self.target_model else [StagedRecord, Provenance]
        with bulk.pg_cursor() as cur:
            for model in models:
                # Only the indexed columns: the look-ups need those, and statistics of the wide JSON columns
                # (each sampled row read and parsed) were most of ANALYZE's cost, 8 % of a first run's time.
                columns = ", ".join(f'"{c}"' for c in _indexed_columns(model))
                cur.execute(f'ANALYZE "{model._meta.db_table}" ({columns})')

    def _fetch(self, keys) -> dict[str, Staged]:
        keys = list(set(keys))
        table = StagedRecord._meta.db_table
        if bulk.is_postgresql():
            with bulk.pg_cursor() as cur:
                cur.execute(f'SELECT {_STAGED_READ} FROM "{table}" '  # noqa: S608 — our own names
                            "WHERE system = %s AND stream = %s AND key = ANY(%b::text[])",
                            [self.mapping.system, self.mapping.stream, keys], prepare=True)
                return {row[1]: Staged(*row) for row in cur.fetchall()}
        return {row[1]: Staged(*row) for row in StagedRecord.objects.filter(
            system=self.mapping.system, stream=self.mapping.stream, key__in=keys).values_list(
            "id", "key", "checksum", "outcome", "reason", "target_type_id", "target_pk", "source_deleted",
            "last_run_id")}

    def _handle(self, records: list["Prepared"]) -> None:
        m, run, now, c = self.mapping, self.run_row, timezone.now(), self.counters
        existing = self._fetch(p.record.key for p in records)
        todo: list[tuple[api.SourceRecord, str, Staged | None, bytes, Any]] = []
        in_todo: set[str] = set()
        seen_ids: list[int] = []
        for record, raw, digest, mapped in records:
            c.read += 1
            if record.cursor is not None and (self.cursor is None or _gt(record.cursor, self.cursor)):
                self.cursor = record.cursor
            if record.key in in_todo:  # the same key twice in one batch: write the first before the second
                self._import(todo, now)
                # Every key just written has a staged row now, not only this one: a later repeat of another of
                # them must update that row, not insert a second (found by the staff-list fuzz test).
                existing.update(self._fetch(in_todo))
                todo, in_todo = [], set()
            staged = existing.get(record.key)
            if staged is not None and staged.last_run_id == run.pk:
                # Seen already in this run: the inclusive cursor boundary, or a record updated mid-scan.
                c.repeated += 1
                if staged.checksum != digest or record.deleted != staged.source_deleted:
                    c.reimported += 1
                    todo.append((record, digest, staged, raw, mapped))
                    in_todo.add(record.key)
                continue
            if (staged is not None and staged.checksum == digest and not staged.source_deleted
                    and not record.deleted
                    and not (self.retry_quarantined and staged.outcome == "quarantined")):
                c.unchanged += 1
                seen_ids.append(staged.pk)
                continue
            if staged is None:
                c.new += 1
            else:
                c.changed += 1
            todo.append((record, digest, staged, raw, mapped))
            in_todo.add(record.key)
        if seen_ids and bulk.is_postgresql():
            with bulk.pg_cursor() as cur:
                cur.execute(f'UPDATE "{StagedRecord._meta.db_table}" SET last_seen = %s, last_run_id = %s '  # noqa: S608
                            "WHERE id = ANY(%b::bigint[])", [now, run.pk, seen_ids])
        elif seen_ids:
            StagedRecord.objects.filter(pk__in=seen_ids).update(last_seen=now, last_run=run)
        self._import(todo, now)
        if (m.cursor and self.source.ordered_by_cursor and not self.dry_run and not self.partial
                and self.cursor is not None):
            SyncState.objects.filter(system=m.system, stream=m.stream).update(cursor=self.cursor, run=run)

    def _import(self, todo, now) -> None:
        """Import new and changed records (the reader has filtered and mapped them: _prepare), then write staging
        and provenance in bulk."""
        if not todo:
            return
        outcomes: dict[int, api.Outcome] = {}
        mapped_items: list[tuple[int, api.SourceRecord, dict[str, Any]]] = []
        for index, (record, _digest, staged, _raw, mapped) in enumerate(todo):
            if record.deleted:
                outcomes[index] = self._deleted(record, staged)
            elif isinstance(mapped, api.Outcome):  # quarantined for its problem, or filtered (see _prepare)
                outcomes[index] = mapped
            elif isinstance(mapped, api.MappingError):
                outcomes[index] = api.quarantined(str(mapped), field=mapped.field)
            else:
                mapped_items.append((index, record, mapped))
        outcomes.update(self._call_importer(mapped_items))
        self._write(todo, outcomes, now)
        self._check_fields(todo, outcomes, mapped_items)

    def _call_importer(self, items) -> dict[int, api.Outcome]:
        if not items:
            return {}
        if type(self.importer).import_batch is not api.DomainImporter.import_batch:
            try:
                with transaction.atomic():
                    results = self.importer.import_batch([(r, m) for _, r, m in items], self.ctx)
                return {index: outcome for (index, _, _), outcome in zip(items, results, strict=True)}
            except Exception:  # noqa: BLE001 — the bulk path failed as a whole: retry record by record
                log.warning("bulk import failed; retrying one record at a time", exc_info=True)
        outcomes = {}
        for index, record, mapped in items:
            try:
                with transaction.atomic():
                    outcomes[index] = self.importer.import_record(record, mapped, self.ctx)
            except api.MappingError as exc:
                outcomes[index] = api.quarantined(str(exc), field=exc.field)
            except Exception as exc:  # noqa: BLE001 — one bad record must not stop the run; it is quarantined
                outcomes[index] = api.quarantined(f"lỗi khi nạp / import error: {type(exc).__name__}: {exc}")
        return outcomes

    def _deleted(self, record: api.SourceRecord, staged: Staged | None) -> api.Outcome:
        outcome = self.importer.delete_record(record, self.ctx)
        if outcome is not None:
            return outcome
        if staged is not None and staged.outcome:
            return api.Outcome(staged.outcome, target=_target_of(staged), reason=staged.reason)
        return api.filtered("source_deleted")

    def _write(self, todo, outcomes: dict[int, api.Outcome], now) -> None:
        """Staging and provenance for the batch, as rows: COPY for new staged records and for provenance (through
        an upsert) on PostgreSQL; changed records update their staged row in place."""
        m, run = self.mapping, self.run_row
        creates, updates, links, new_links, unlinks = [], [], [], [], []
        for index, (record, digest, staged, raw, _mapped) in enumerate(todo):
            outcome = outcomes[index]
            if outcome.status not in OUTCOMES:
                outcome = api.quarantined(f"bộ nhập trả về kết quả lạ “{outcome.status}” / unknown outcome")
            self.counters.outcomes[outcome.status] += 1
            reason = outcome.reason
            if outcome.status == "quarantined":
                label = self.ctx.label(record)
                reason = reason if label in reason else f"{label}: {reason}"
            ref = _target_ref(outcome.target)
            type_id, target_pk = ref if ref is not None else (None, "")
            detail = {**outcome.detail, "outcome_run": run.pk}
            raw_json = bulk.RawJson(raw.decode(), record.data)
            cursor = _json_cursor(record.cursor)
            if staged is None:
                creates.append((m.system, m.stream, record.key, raw_json, digest, cursor, now, now, run.pk, run.pk,
                                record.deleted, outcome.status, reason, type_id, target_pk, detail))
            else:
                if staged.target_type_id and (staged.target_type_id, staged.target_pk) != (type_id, target_pk):
                    unlinks.append((staged.target_type_id, staged.target_pk, record.key))
                updates.append(StagedRecord(
                    pk=staged.pk, raw=record.data, checksum=digest, cursor=cursor, last_seen=now, last_run=run,
                    source_deleted=record.deleted, outcome=outcome.status, reason=reason, target_type_id=type_id,
                    target_pk=target_pk, detail=detail))
            if type_id is not None:
                # A record new to staging has no provenance yet (short of another stream's same key on the
                # same target): those go in with a plain COPY, the others through the upsert.
                (new_links if staged is None else links).append(
                    (type_id, target_pk, m.system, record.key, digest, now,
                     {"stream": m.stream, "run": run.pk, "outcome": outcome.status}))
        bulk.insert_rows(StagedRecord, _STAGED_FIELDS, creates)
        if updates:
            StagedRecord.objects.bulk_update(updates, ["raw", "checksum", "cursor", "last_seen", "last_run",
                                                       "source_deleted", "outcome", "reason", "target_type",
                                                       "target_pk", "detail"], batch_size=500)
        for type_id, pk, key in unlinks:
            Provenance.objects.filter(content_type_id=type_id, object_pk=pk, source_system=m.system,
                                      source_key=key).delete()
        unique = ["content_type_id", "object_pk", "source_system", "source_key"]
        bulk.insert_or_upsert_rows(Provenance, _PROVENANCE_FIELDS, new_links, unique=unique,
                                   update=["checksum", "detail"])
        bulk.upsert_rows(Provenance, _PROVENANCE_FIELDS, links, unique=unique, update=["checksum", "detail"])

    def _check_garbled(self, outcomes, mapped_items) -> None:
        """Every mapped text value of a loaded or merged record that arrived garbled (encodings.garbled) is
        counted against its field, so the run cannot be reported balanced."""
        checks = self.garble_checks
        for i, record, mapped in mapped_items:
            if outcomes[i].status not in ("loaded", "merged"):
                continue
            for name, check in checks.items():
                value = mapped.get(name)
                if type(value) is str:
                    if value.isascii() and value[:1] != "{":  # nearly every value: nothing to look at
                        continue
                elif not isinstance(value, bytes | bytearray | memoryview | dict):
                    continue
                if why := encodings.garbled(value):
                    reconciliation.count_garbled(check, record.key, value, why)

    def _check_other(self, outcomes, mapped_items) -> None:
        """The mapped fields an importer stores on other records (api.DomainImporter.reconcile_other_fields),
        read back by the importer for the batch's loaded and merged records and compared one by one."""
        if not self.other_fields:
            return
        items = [(record.key, mapped) for i, record, mapped in mapped_items
                 if outcomes[i].status in ("loaded", "merged")]
        if not items:
            return
        stored = self.importer.reconcile_other(items, self.ctx)
        for name in self.other_fields:
            check = self.field_checks[name]
            for key, mapped in items:
                row = stored.get(key)
                source = reconciliation.normal(mapped.get(name))
                if row is None and source == "":
                    reconciliation.compare_normal(check, key, "", "")
                    continue
                found = reconciliation.normal(row.get(name)) if row is not None else ""
                reconciliation.compare_normal(check, key, source, found, missing=row is None)

    def _check_fields(self, todo, outcomes, mapped_items) -> None:
        """Compare each reconciled field of every loaded target, as it is in the database, with its source. The
        database answers once per batch which targets differ from what the importer said it wrote (or are
        missing); only those are read back, the rest hold exactly the source values."""
        self._check_garbled(outcomes, mapped_items)
        self._check_other(outcomes, mapped_items)
        spec = self.reconcile_spec
        if not spec or self.target_model is None:
            return
        expected: dict[str, tuple[str, list[str]]] = {}
        for i, record, mapped in mapped_items:
            outcome = outcomes[i]
            if outcome.status == "loaded" and outcome.target is not None:
                expected[str(outcome.target.pk)] = (record.key, [reconciliation.normal(mapped.get(source))
                                                                 for source in spec.values()])
        if not expected:
            return
        differing = reconciliation.read_back(self.target_model, list(spec), {pk: v for pk, (_, v) in expected.items()})
        # Targets that a later record of this batch merged into: the importer may have filled what they lacked
        # (never overwritten). A field that was blank in the loaded record's source lost nothing when it was
        # filled, as it would not be flagged had the merge come in the next batch.
        # Likewise a field held on a related record (`document__subject`): that record is shared (every register
        # side of one document), and another source record may have filled what this one left blank.
        filled = {str(o.target.pk) for o in outcomes.values() if o.status == "merged" and o.target is not None}
        shared = [LOOKUP_SEP in target for target in spec]
        checks = [self.field_checks[target] for target in spec]
        matching = [kv for pk, kv in expected.items() if pk not in differing]
        for i, check in enumerate(checks):
            reconciliation.compare_matching(check, ((key, values[i]) for key, values in matching))
        for pk, (key, values) in expected.items():  # in the batch's order, as the samples were
            if pk not in differing:
                continue
            row = differing[pk]
            for check, target, value, on_related in zip(checks, spec, values, shared, strict=True):
                found = reconciliation.normal(row[target]) if row is not None else ""
                if value == "" and (pk in filled or on_related):
                    found = value
                reconciliation.compare_normal(check, key, value, found, missing=row is None)

    def _key_scan_due(self) -> bool:
        """Whether this incremental run also looks for deletions (the mapping's `deletions:`): every N runs, or
        once the last look (a full scan or a key scan) is older than the interval."""
        runs, interval = self.mapping.deletion_scan
        if runs is None and interval is None:
            return False
        m = self.mapping
        finished = MigrationRun.objects.filter(system=m.system, stream=m.stream, dry_run=False,
                                               status=RunStatus.FINISHED)
        last = finished.filter(deletion_scan=True).order_by("-id").first()
        if last is None:
            return True
        if runs is not None and finished.filter(pk__gt=last.pk).count() + 1 >= runs:
            return True
        return interval is not None and timezone.now() - last.started_at >= interval

    def _detect_deletions_by_keys(self) -> None:
        """An incremental run's look for deletions: the source's keys alone (api.Source.keys: for SQL, the key
        columns only), and every staged record whose key the source no longer holds is marked deleted, as a
        full scan does."""
        m = self.mapping
        present = set(self.source.keys())
        staged = StagedRecord.objects.filter(system=m.system, stream=m.stream, source_deleted=False)
        gone = [key for key in staged.values_list("key", flat=True).iterator(chunk_size=10000) if key not in present]
        self.counters.key_scanned = len(present)
        for start in range(0, len(gone), m.batch_size):
            self._detect_deletions(staged.filter(key__in=gone[start:start + m.batch_size]).order_by("pk"))

    def _detect_deletions(self, gone=None) -> None:
        """After a complete scan, staged records the source no longer holds are marked deleted (kept, never
        dropped) and offered to the importer's delete_record."""
        m, run = self.mapping, self.run_row
        if gone is None:
            gone = StagedRecord.objects.filter(system=m.system, stream=m.stream, source_deleted=False).exclude(
                last_run=run).order_by("pk")
        if self.dry_run:
            self.counters.deleted += gone.count()
            return
        while True:
            chunk = list(gone[: m.batch_size])
            if not chunk:
                return
            with transaction.atomic():
                for staged in chunk:
                    self.counters.deleted += 1
                    record = api.SourceRecord(key=staged.key, data=staged.raw, cursor=staged.cursor, deleted=True)
                    outcome = self.importer.delete_record(record, self.ctx)
                    staged.source_deleted, staged.last_run = True, run
                    if outcome is not None:
                        staged.outcome, staged.reason = outcome.status, outcome.reason
                        staged.target_type = (ContentType.objects.get_for_model(outcome.target)
                                              if outcome.target is not None else None)
                        staged.target_pk = str(outcome.target.pk) if outcome.target is not None else ""
                    staged.detail = {**staged.detail, "deleted_in_run": run.pk}
                StagedRecord.objects.bulk_update(chunk, ["source_deleted", "last_run", "outcome", "reason",
                                                         "target_type", "target_pk", "detail"])


_STAGED_FIELDS = ["system", "stream", "key", "raw", "checksum", "cursor", "first_seen", "last_seen", "first_run_id",
                  "last_run_id", "source_deleted", "outcome", "reason", "target_type_id", "target_pk", "detail"]
_PROVENANCE_FIELDS = ["content_type_id", "object_pk", "source_system", "source_key", "checksum", "imported_at",
                      "detail"]


def _indexed_columns(model: type[Model]) -> list[str]:
    """The columns some index of the model's table starts with or holds (its look-up columns)."""
    meta = model._meta
    names = [meta.pk.name]
    for index in [*meta.indexes, *meta.constraints]:
        names += [f.lstrip("-") for f in getattr(index, "fields", ())]
    names += [f.name for f in meta.concrete_fields if f.db_index or f.unique]
    return list(dict.fromkeys(meta.get_field(name).column for name in names))


def _batch_settings() -> None:
    """Settings for one batch's transaction (PostgreSQL).

    random_page_cost: a batch looks a few thousand keys up in tables it is writing (staging, provenance, the
    targets), whose indexes are in memory. PostgreSQL's default (4, made for spinning disks) has it scan whole
    tables for those look-ups instead until they hold some hundred thousand rows, so each batch cost more than
    the one before; at the cost of memory-resident pages it probes the indexes (a tenth of the time at 100k rows).

    synchronous_commit: the commit returns before its WAL is flushed. A batch is all-or-nothing either way and
    carries its own sync state, so what a server crash could take back is the last batches as a whole, with
    their state: the next run reads those records from the source again. The client being killed loses
    nothing more than before. Other transactions keep the server's setting."""
    if bulk.is_postgresql():
        with bulk.pg_cursor() as cur:
            cur.execute("SELECT set_config('random_page_cost', '1.1', true), "
                        "set_config('synchronous_commit', 'off', true)")


_FULL_GC_EVERY = 50


class Prepared(NamedTuple):
    """A source record ready for a batch: personal ID numbers hashed, its canonical JSON (the text staging
    stores), that text's sha256 (the checksum), and what its fields say: mapped for the importer (a dict), the
    MappingError or the Outcome (a problem the source reported, a filter rule) that decides it without the
    importer, or None for a deleted record. All of it is pure Python, done by the reader; a record found
    unchanged just drops it."""

    record: api.SourceRecord
    raw: bytes
    digest: str
    mapped: dict[str, Any] | api.MappingError | api.Outcome | None


def _prepare(record: api.SourceRecord, mapping: Mapping) -> Prepared:
    if mapping.pii:
        record.data = _hash_pii(mapping, record.data)
    data = mapping.corrected(record.key, record.data) if mapping.corrections else record.data
    mapped: dict[str, Any] | api.MappingError | api.Outcome | None = None
    if record.deleted:
        pass
    elif problem := data.get("_problem") or data.get("_pii_problems"):
        mapped = api.quarantined(_problem_text(problem))
    elif rule := mapping.filter_rule(data):
        mapped = api.filtered(rule)
    else:
        try:
            mapped = mapping.map_fields(data)
        except api.MappingError as exc:
            mapped = exc
    # What staging keeps: the source record as read (a staff correction applies to the mapping only, so the
    # checksum still says what the old system holds), with the mapping's personal fields hashed or dropped once the
    # importer's fields are mapped.
    record.data, raw, digest = staging_record(record.data, mapping)
    return Prepared(record, raw, digest, mapped)


_END = "end"  # a string, so that it survives the reader process's pipe as it is
_SWITCH_INTERVAL = 0.0005  # seconds
_AHEAD = 2  # batches read ahead: enough to keep the reader busy while a batch is written, and memory flat


class _Failed(NamedTuple):
    error: BaseException


def _read_batches(source: api.Source, since, mapping: Mapping, put, stop) -> None:
    """The reader's loop, in its thread or process: prepared batches, then _END, or _Failed; `put` returns
    False when the engine no longer wants them, and `stop()` True once it said so."""
    try:
        size, batch = mapping.batch_size, []
        records = source.records(since)
        try:
            for record in records:
                if stop():
                    return
                batch.append(_prepare(record, mapping))
                if len(batch) >= size:
                    if not put(batch):
                        return
                    batch = []
        finally:
            if hasattr(records, "close"):
                records.close()  # in the reader: the source's connection or file closes here
        if batch and not put(batch):
            return
        put(_END)
    except BaseException as exc:  # noqa: BLE001 — handed to the engine, which raises it
        put(_Failed(exc))


class _Reader:
    """Reads the source and prepares its records (_prepare) ahead of the engine, so that this pure-Python work
    runs while the engine waits on the database. The reader never touches Django's database connection: every
    write and commit stays with the engine, inside the batch transaction. An error in the reader is raised in
    the engine after the batches read before it, as if the source had raised it there.

    Sources that read rows (SQL, CSV, Excel, JSON APIs: `api.Source.separate_process`) are read in a forked
    process, so the reading runs on the other core instead of taking turns with the engine for the GIL (at
    100,000 rows the engine's process spent 8–9 CPU seconds instead of 11–13, and 179 MB instead of 222); the
    others (old portals, whose fetcher paces requests per host for the importer too) in a thread, up to _AHEAD
    batches ahead."""

    def __init__(self, source: api.Source, since, mapping: Mapping):
        self.source, self.since, self.mapping = source, since, mapping

    def __iter__(self):
        while True:
            item = self._get()
            if item == _END:  # the others are lists (batches) and _Failed tuples
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item


class _ThreadReader(_Reader):
    def __init__(self, source, since, mapping):
        super().__init__(source, since, mapping)
        self.queue: queue.Queue = queue.Queue(maxsize=_AHEAD)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=_read_batches, name="hopnhat-source-reader", daemon=True,
                                       args=(source, since, mapping, self._put, self.stop.is_set))

    def __enter__(self) -> "_ThreadReader":
        # When a query returns, the engine's thread waits for the GIL until the reader gives it up: every
        # switch interval (5 ms by default), several times per statement, which cost more than the reader
        # saved. A shorter interval while the reader runs hands the GIL back within a fraction of a millisecond.
        self.interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self.interval, _SWITCH_INTERVAL))
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()  # the engine is done, or failed: the reader stops at its next record or hand-over
        with contextlib.suppress(queue.Empty):
            while True:
                self.queue.get_nowait()
        self.thread.join(timeout=60)
        sys.setswitchinterval(self.interval)

    def _get(self):
        return self.queue.get()

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False


class _ProcessReader(_Reader):
    """The reader in a forked child, batches pickled through a pipe. The pipe holds less than a batch, so the
    child is at most about one batch ahead (memory stays flat). The engine closing its end — done, failed, or
    killed with -9, which closes it too — makes the child's next hand-over fail, and the child exits there."""

    def __enter__(self) -> "_ProcessReader":
        context = multiprocessing.get_context("fork")
        self.receiving, sending = context.Pipe(duplex=False)
        self.process = context.Process(target=_child_reads, name="hopnhat-source-reader", daemon=True,
                                       args=(self.source, self.since, self.mapping, self.receiving, sending))
        self.process.start()
        sending.close()  # only the child writes: should it die, the engine reads EOF instead of waiting forever
        return self

    def __exit__(self, *exc_info) -> None:
        self.receiving.close()
        self.process.join(timeout=10)
        if self.process.is_alive():  # busy inside the source (a slow query): it has nothing left to hand over
            self.process.terminate()
            self.process.join(timeout=10)

    def _get(self):
        try:
            return self.receiving.recv()
        except EOFError:
            code = self.process.exitcode if not self.process.is_alive() else None
            raise RuntimeError(f"tiến trình đọc nguồn dừng bất thường (mã {code}) "
                               f"/ the source reader process ended unexpectedly (exit code {code})") from None


def _reader(source: api.Source, since, mapping: Mapping) -> _Reader:
    forks = "fork" in multiprocessing.get_all_start_methods()
    return (_ProcessReader if source.separate_process and forks else _ThreadReader)(source, since, mapping)


def _child_reads(source, since, mapping, receiving, sending) -> None:
    """The forked reader: Django's connections, inherited open, are never used here (nor closed: the child
    leaves through os._exit, as multiprocessing's children do)."""
    receiving.close()  # else this copy of the read end would keep the pipe open after the engine is gone
    gc.enable()  # the engine paused automatic collection (_batch_gc); this process makes its own garbage

    def put(item) -> bool:
        if isinstance(item, _Failed):
            item = _Failed(_picklable(item.error))
        try:
            sending.send(item)
        except OSError:  # BrokenPipeError above all: the engine stopped reading, or was killed
            # Leave at once: closing the source politely could mean draining the rest of a streamed SQL result
            # first, holding the old database's locks for nobody; the kernel closes its connection and files.
            os._exit(0)
        return True

    _read_batches(source, since, mapping, put, lambda: False)


def _picklable(error: BaseException) -> BaseException:
    """The error itself when it survives pickling (most do), else a RuntimeError with its type and message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 — our own bytes, just made
        return error
    except Exception:  # noqa: BLE001 — any failure to round-trip means: send a plain copy
        return RuntimeError(f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def _batch_gc():
    """Python's collector during a run: left automatic, it walks every object of a batch again and again while
    the batch is alive (half the CPU of a run was collection). Instead the objects from before the run are
    frozen out of its sight, automatic collection waits, and each batch collects its young objects once it is
    done (everything every 50 batches), so memory stays flat and the collector's work stays small."""
    if not gc.isenabled():
        yield
        return
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@contextlib.contextmanager
def _rolled_back(dry_run: bool):
    """A dry run's batches in one transaction rolled back at the end: each batch sees what the ones before it
    would have written (a duplicate across batches counts as merged, as in the real run), and nothing stays."""
    if not dry_run:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _gt(a, b) -> bool:
    try:
        return a > b
    except TypeError:
        return str(a) > str(b)


def _json_cursor(value):
    return value if value is None or isinstance(value, str | int | float) else str(value)


def _problem_text(problem) -> str:
    if isinstance(problem, dict):
        return "; ".join(f"“{k}”: {v}" for k, v in problem.items())
    return str(problem)


def _target_of(staged: Staged):
    if not staged.target_type_id:
        return None
    model = ContentType.objects.get_for_id(staged.target_type_id).model_class()
    return model._default_manager.filter(pk=staged.target_pk).first()


class StagedSource(api.Source):
    """Chosen records of one stream as staging holds them (raw, keyed, personal ID numbers already hashed): what
    rerun_records hands the engine again, without asking the old system — except for the columns staging keeps
    only as a keyed hash or not at all (the mapping's `pii:` entries `{column: hash|drop}`, consolidation.staging):
    those the importer needs in clear, so they are read again from the old system (one pass over the source,
    stopping once every chosen key is found). A chosen record the old system no longer holds is quarantined again
    with a reason naming those columns, never handed on with a hash in place of its phone number."""

    kind = "staged"

    def __init__(self, config, *, base_dir=None, original: api.Source | None = None, restore=()):
        super().__init__(config, base_dir=base_dir)
        self.original = original
        self.restore = tuple(restore) if original is not None else ()
        # Read here, in the engine's thread and transaction (the reader thread has a connection of its own).
        staged = StagedRecord.objects.filter(system=config["system"], stream=config["stream"],
                                             key__in=config["keys"], source_deleted=False).order_by("pk")
        self.staged = list(staged.values_list("key", "raw", "cursor"))

    def describe(self) -> str:
        return self.original.describe() if self.original is not None else "vùng đệm / staging"

    def estimate(self) -> int | None:
        return len(self.staged)

    def _held_by_old_system(self) -> dict[str, dict[str, Any]]:
        wanted, found = {key for key, _, _ in self.staged}, {}
        records = self.original.records(None)
        try:
            for record in records:
                if not record.deleted and str(record.key) in wanted:
                    found[str(record.key)] = record.data
                    if len(found) == len(wanted):
                        break
        finally:
            if hasattr(records, "close"):
                records.close()
        return found

    def records(self, since=None):
        fresh = self._held_by_old_system() if self.restore else {}
        for key, raw, cursor in self.staged:
            if not self.restore:
                yield api.SourceRecord(key=key, data=raw, cursor=cursor)
                continue
            data = {k: v for k, v in raw.items() if k != "_problem" and k not in self.restore}
            if key in fresh:
                data.update({c: fresh[key][c] for c in (*self.restore, "_problem") if c in fresh[key]})
            else:
                columns = ", ".join(self.restore)
                data["_problem"] = (f"hệ thống cũ ({self.describe()}) không còn bản ghi này; vùng đệm chỉ giữ mã băm "
                                    f"hoặc không giữ {columns} / the old system no longer holds this record and "
                                    f"staging keeps only a hash of {columns}, or nothing")
            yield api.SourceRecord(key=key, data=data, cursor=cursor)


def rerun_records(system: str, stream: str, keys, *, actor: str, dry_run: bool = False) -> MigrationRun:
    """Hand the chosen staged records of a stream to its importer again — after a fix of the value map, the
    crosswalk or a value (quarantine.py) — with the mapping of the stream's last run plus every fix, without
    reading the old system (but for the personal fields staging keeps only hashed or not at all: StagedSource).
    A run of its own (no cursor moves, no deletions looked for); records that now load leave the quarantine."""
    last = MigrationRun.objects.filter(system=system, stream=stream).exclude(mapping={}).order_by("-id").first()
    if last is None:
        raise LookupError(f"{system}/{stream}: chưa có lượt nào để chạy lại / no run of this stream to re-run")
    mapping = Mapping.from_dict(last.mapping)
    original = mapping.build_source()
    mapping.source = {"kind": "staged", "system": system, "stream": stream, "keys": sorted(set(keys)),
                      "key": original.config.get("key")}
    ids = mapping.pii
    mapping.pii = []  # staging holds their keyed hashes already
    engine = Engine(mapping, actor=actor, dry_run=dry_run, retry_quarantined=True, partial=True)
    engine.source = StagedSource(mapping.source, original=original,
                                 restore=[c for c in mapping.pii_staging if c not in ids])
    return engine.run()


api.register_source_kind("staged", StagedSource)


def run_mapping(mapping: Mapping, *, actor: str, dry_run: bool = False, progress: Progress | None = None,
                full_scan: bool = False, retry_quarantined: bool = False) -> MigrationRun:
    """Run one mapping (import, reconcile, write the report). See the module docstring for the guarantees."""
    return Engine(mapping, actor=actor, dry_run=dry_run, progress=progress, full_scan=full_scan,
                  retry_quarantined=retry_quarantined).run()

