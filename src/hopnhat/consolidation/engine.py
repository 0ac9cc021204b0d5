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
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from hopnhat.core import audit, pii
from hopnhat.core.models import Provenance
from hopnhat.core.provenance import canonical_json

from . import api, bulk, reconciliation
from .mapping import Mapping
from .models import OUTCOMES, MigrationRun, ReviewItem, RunStatus, StagedRecord, SyncState

log = logging.getLogger(__name__)
_PII_DIGITS = {9, 12}  # CMND (9) and CCCD (12)


class RunContext(api.ImportContext):
    """What importers get: the mapping's field map and crosswalks, the review queue, record labels."""

    def __init__(self, run: MigrationRun, mapping: Mapping, actor: str, dry_run: bool, source: api.Source):
        self.run, self.mapping, self.actor, self.dry_run, self.source = run, mapping, actor, dry_run, source
        self._agencies: dict[str, Any] = {}
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
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "new": self.new, "changed": self.changed, "unchanged": self.unchanged,
                "repeated": self.repeated, "reimported": self.reimported, "deleted": self.deleted,
                "outcomes": dict(self.outcomes)}


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
                 full_scan: bool = False, retry_quarantined: bool = False):
        self.mapping, self.actor, self.dry_run = mapping, actor, dry_run
        self.progress = progress or Progress()
        self.force_full_scan, self.retry_quarantined = full_scan, retry_quarantined
        self.importer = api.importer(mapping.importer)()
        self.target_model = apps.get_model(self.importer.target_model) if self.importer.target_model else None
        self.source = mapping.build_source()
        self.counters = Counters()
        self.field_checks: dict[str, dict[str, Any]] = {}
        self.batches = self.written = 0
        self.analyzed_at = 500  # rows written when the planner's statistics were last refreshed

    # -- the run ---------------------------------------------------------------------------------------------

    def run(self) -> MigrationRun:
        with _batch_gc():
            return self._run()

    def _run(self) -> MigrationRun:
        m = self.mapping
        _type_ids.clear()  # content type ids belong to a database, which a process may change (tests)
        MigrationRun.objects.filter(system=m.system, stream=m.stream, status=RunStatus.RUNNING).update(
            status=RunStatus.INTERRUPTED, finished_at=timezone.now(),
            error="tiến trình dừng giữa chừng / the process stopped before finishing")
        state, _ = SyncState.objects.get_or_create(system=m.system, stream=m.stream)
        since = None if (self.force_full_scan or not m.cursor) else state.cursor
        self.run_row = MigrationRun.objects.create(
            system=m.system, stream=m.stream, importer=m.importer, mapping=m.as_dict(), actor=self.actor,
            dry_run=self.dry_run, full_scan=since is None, cursor_from=since)
        self.ctx = RunContext(self.run_row, m, self.actor, self.dry_run, self.source)
        self.importer.prepare(self.ctx)
        self.cursor = since
        try:
            self.progress.start(self.source.estimate() if since is None else None,
                                f"{m.system}/{m.stream}")
            batch: list[api.SourceRecord] = []
            for record in self.source.records(since):
                batch.append(record)
                if len(batch) >= m.batch_size:
                    self._batch(batch)
                    batch = []
            if batch:
                self._batch(batch)
            if self.run_row.full_scan:
                self._detect_deletions()
            self.importer.finish(self.ctx)
            self.progress.finish()
        except Exception as exc:
            self.run_row.status, self.run_row.error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
            self.run_row.finished_at = timezone.now()
            self.run_row.totals = self.counters.as_dict()
            self.run_row.save()
            raise
        if not self.dry_run and m.cursor and not self.source.ordered_by_cursor and self.cursor is not None:
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

    def _batch(self, records: list[api.SourceRecord]) -> None:
        with transaction.atomic():
            self._handle(records)
            if self.dry_run:
                transaction.set_rollback(True)
        self.batches += 1
        self._refresh_statistics(len(records))
        if not gc.isenabled():  # see _batch_gc: the batch is garbage now, so collecting is cheap
            gc.collect(2 if self.batches % _FULL_GC_EVERY == 0 else 1)
        self.progress.advance(len(records))

    def _refresh_statistics(self, written: int) -> None:
        """ANALYZE the tables a first run fills each time they have doubled (PostgreSQL). Until autovacuum gets
        there the planner believes them nearly empty and looks keys up by scanning the whole table, so every
        batch cost more than the one before (the rate fell from 1,757 to 955 rows/s between 20k and 1M rows)."""
        self.written += written
        if self.dry_run or not bulk.is_postgresql() or self.written < 2 * self.analyzed_at:
            return
        self.analyzed_at = self.written
        models = [StagedRecord, Provenance, self.target_model] if self.target_model else [StagedRecord, Provenance]
        with bulk.pg_cursor() as cur:
            for model in models:
                cur.execute(f'ANALYZE "{model._meta.db_table}"')

    def _fetch(self, keys) -> dict[str, Staged]:
        keys = list(set(keys))
        table = StagedRecord._meta.db_table
        if bulk.is_postgresql():
            with bulk.pg_cursor() as cur:
                cur.execute(f'SELECT {_STAGED_READ} FROM "{table}" '  # noqa: S608 — our own names
                            "WHERE system = %s AND stream = %s AND key = ANY(%s)",
                            [self.mapping.system, self.mapping.stream, keys])
                return {row[1]: Staged(*row) for row in cur.fetchall()}
        return {row[1]: Staged(*row) for row in StagedRecord.objects.filter(
            system=self.mapping.system, stream=self.mapping.stream, key__in=keys).values_list(
            "id", "key", "checksum", "outcome", "reason", "target_type_id", "target_pk", "source_deleted",
            "last_run_id")}

    def _handle(self, records: list[api.SourceRecord]) -> None:
        m, run, now, c = self.mapping, self.run_row, timezone.now(), self.counters
        for record in records:
            if m.pii:
                record.data = _hash_pii(m, record.data)
        existing = self._fetch(r.key for r in records)
        todo: list[tuple[api.SourceRecord, str, Staged | None, bulk.RawJson]] = []
        in_todo: set[str] = set()
        seen_ids: list[int] = []
        for record in records:
            c.read += 1
            raw = canonical_json(record.data)  # hashed here, and the very text staging stores
            digest = hashlib.sha256(raw).hexdigest()
            if record.cursor is not None and (self.cursor is None or _gt(record.cursor, self.cursor)):
                self.cursor = record.cursor
            if record.key in in_todo:  # the same key twice in one batch: write the first before the second
                self._import(todo, now)
                todo, in_todo = [], set()
                existing.update(self._fetch([record.key]))
            staged = existing.get(record.key)
            if staged is not None and staged.last_run_id == run.pk:
                # Seen already in this run: the inclusive cursor boundary, or a record updated mid-scan.
                c.repeated += 1
                if staged.checksum != digest or record.deleted != staged.source_deleted:
                    c.reimported += 1
                    todo.append((record, digest, staged, raw))
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
            todo.append((record, digest, staged, raw))
            in_todo.add(record.key)
        if seen_ids and bulk.is_postgresql():
            with bulk.pg_cursor() as cur:
                cur.execute(f'UPDATE "{StagedRecord._meta.db_table}" SET last_seen = %s, last_run_id = %s '  # noqa: S608
                            "WHERE id = ANY(%s)", [now, run.pk, seen_ids])
        elif seen_ids:
            StagedRecord.objects.filter(pk__in=seen_ids).update(last_seen=now, last_run=run)
        self._import(todo, now)
        if m.cursor and self.source.ordered_by_cursor and not self.dry_run and self.cursor is not None:
            SyncState.objects.filter(system=m.system, stream=m.stream).update(cursor=self.cursor, run=run)

    def _import(self, todo, now) -> None:
        """Filter, map and import new and changed records, then write staging and provenance in bulk."""
        if not todo:
            return
        outcomes: dict[int, api.Outcome] = {}
        mapped_items: list[tuple[int, api.SourceRecord, dict[str, Any]]] = []
        for index, (record, _digest, staged, _raw) in enumerate(todo):
            if record.deleted:
                outcomes[index] = self._deleted(record, staged)
                continue
            problem = record.data.get("_problem") or record.data.get("_pii_problems")
            if problem:
                outcomes[index] = api.quarantined(_problem_text(problem))
                continue
            if rule := self.mapping.filter_rule(record.data):
                outcomes[index] = api.filtered(rule)
                continue
            try:
                mapped = self.ctx.map_fields(record.data)
            except api.MappingError as exc:
                outcomes[index] = api.quarantined(str(exc), field=exc.field)
                continue
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
        creates, updates, links, unlinks = [], [], [], []
        for index, (record, digest, staged, raw) in enumerate(todo):
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
                links.append((type_id, target_pk, m.system, record.key, digest, now,
                              {"stream": m.stream, "run": run.pk, "outcome": outcome.status}))
        bulk.insert_rows(StagedRecord, _STAGED_FIELDS, creates)
        if updates:
            StagedRecord.objects.bulk_update(updates, ["raw", "checksum", "cursor", "last_seen", "last_run",
                                                       "source_deleted", "outcome", "reason", "target_type",
                                                       "target_pk", "detail"], batch_size=500)
        for type_id, pk, key in unlinks:
            Provenance.objects.filter(content_type_id=type_id, object_pk=pk, source_system=m.system,
                                      source_key=key).delete()
        bulk.upsert_rows(Provenance, _PROVENANCE_FIELDS, links,
                         unique=["content_type_id", "object_pk", "source_system", "source_key"],
                         update=["checksum", "detail"])

    def _check_fields(self, todo, outcomes, mapped_items) -> None:
        """Compare each reconciled field of every loaded target, as it is in the database, with its source. The
        database answers once per batch which targets differ from what the importer said it wrote (or are
        missing); only those are read back, the rest hold exactly the source values."""
        spec = self.importer.reconcile_fields
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
        checks = [self.field_checks.setdefault(target, reconciliation.new_field_check(source))
                  for target, source in spec.items()]
        for pk, (key, values) in expected.items():
            if pk not in differing:
                for check, value in zip(checks, values, strict=True):
                    reconciliation.compare_normal(check, key, value, value)
                continue
            row = differing[pk]
            for check, target, value in zip(checks, spec, values, strict=True):
                found = row[target] if row is not None else reconciliation.MISSING
                reconciliation.compare_normal(check, key, value, reconciliation.normal(found),
                                              missing=row is None)

    def _detect_deletions(self) -> None:
        """After a complete scan, staged records the source no longer holds are marked deleted (kept, never
        dropped) and offered to the importer's delete_record."""
        m, run = self.mapping, self.run_row
        gone = StagedRecord.objects.filter(system=m.system, stream=m.stream, source_deleted=False).exclude(
            last_run=run).order_by("pk")
        if self.dry_run:
            self.counters.deleted = gone.count()
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


_FULL_GC_EVERY = 50


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


def run_mapping(mapping: Mapping, *, actor: str, dry_run: bool = False, progress: Progress | None = None,
                full_scan: bool = False, retry_quarantined: bool = False) -> MigrationRun:
    """Run one mapping (import, reconcile, write the report). See the module docstring for the guarantees."""
    return Engine(mapping, actor=actor, dry_run=dry_run, progress=progress, full_scan=full_scan,
                  retry_quarantined=retry_quarantined).run()

