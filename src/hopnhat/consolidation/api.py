"""The plug-in contract between the migration engine and the domain modules.

A run reads a **source** (SQL, CSV, Excel, JSON API, WXR, feed, crawl, WARC…) into staging, where every
record is kept raw with its key and checksum; a **domain importer** then turns each staged record into
platform records and says what became of it. Reconciliation counts those outcomes: every source record is
exactly one of loaded / merged / quarantined / filtered.

Domain apps register their importers and source kinds in their AppConfig.ready():

    from hopnhat.consolidation.api import register_importer, register_source_kind
    register_importer(ArticleImporter)          # name "portal.article"
    register_source_kind("wxr", WxrSource)      # source: {kind: wxr, path: …}

and run them with `hopnhat consolidate run SOURCE.yaml`, or programmatically with
`hopnhat.consolidation.engine.run_mapping(Mapping.from_dict({...}), actor=..., dry_run=False)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models


@dataclass
class SourceRecord:
    """One record as the old system holds it. `data` is JSON-serialisable; text already NFC Unicode."""

    key: str
    data: dict[str, Any]
    cursor: Any = None          # value of the mapping's cursor field, for incremental runs
    deleted: bool = False       # the source says this record is gone (tombstone / detected deletion)


class Source:
    """Reads one old system. Built from the mapping's `source:` block by the registered factory."""

    kind: ClassVar[str] = ""

    def __init__(self, config: dict[str, Any], *, base_dir=None):
        self.config = config
        self.base_dir = base_dir

    def records(self, since: Any = None) -> Iterator[SourceRecord]:
        """Yield records with cursor >= since (inclusive: the engine de-duplicates the boundary)."""
        raise NotImplementedError

    # True when records() yields in cursor order, so the engine may commit the cursor after every batch.
    ordered_by_cursor: ClassVar[bool] = False
    # True when records() may run in a process of its own: it keeps no state that the importer reads later
    # (a fetcher's per-host pacing, an index of media) and its records pickle. The engine then reads it on
    # another core; otherwise in a thread.
    separate_process: ClassVar[bool] = False

    def estimate(self) -> int | None:
        """How many records there are, for the progress bar; None when unknown."""
        return None

    def keys(self):
        """Every key the source holds now, for finding deletions between full scans (mapping `deletions:`). The
        default reads every record; sources that can ask for the keys alone (SQL) override it."""
        for record in self.records(None):
            if not record.deleted:
                yield record.key

    def describe(self) -> str:
        """Where the records come from, for messages: "nhan_su.csv", "bảng nhan_su"."""
        return self.kind


class SourceError(ValueError):
    """The source as a whole cannot be read on (bytes not in its encoding, a broken workbook, a page that is not
    JSON): the message names the file or page and where. The run fails with it; nothing half-read is kept."""


class MappingError(ValueError):
    """A field of one record cannot be mapped (bad date, unknown code…); the engine quarantines the record."""

    def __init__(self, field: str, message: str):
        super().__init__(f"trường “{field}”: {message}")
        self.field, self.message = field, message

    def __reduce__(self):  # pickled by the reader process (engine._ProcessReader) with both arguments
        return MappingError, (self.field, self.message)


@dataclass(frozen=True)
class Ref:
    """A platform record named by model and primary key: what a batch importer that writes rows in bulk
    (consolidation.bulk) returns as an outcome's target, without building a model instance per row."""

    model: type[models.Model]
    pk: Any


@dataclass
class Outcome:
    status: str                               # loaded | merged | quarantined | filtered
    target: models.Model | Ref | None = None  # loaded: the record made; merged: the record it went into
    reason: str = ""                          # quarantined: why (names the record); filtered: the rule name
    detail: dict[str, Any] = field(default_factory=dict)


def loaded(target: models.Model | Ref, **detail) -> Outcome:
    return Outcome("loaded", target=target, detail=detail)


def merged(into: models.Model | Ref, reason: str = "", **detail) -> Outcome:
    return Outcome("merged", target=into, reason=reason, detail=detail)


def quarantined(reason: str, **detail) -> Outcome:
    return Outcome("quarantined", reason=reason, detail=detail)


def filtered(rule: str, **detail) -> Outcome:
    return Outcome("filtered", reason=rule, detail=detail)


class ImportContext:
    """What an importer may use while handling a record (implemented by the engine)."""

    run: Any            # the MigrationRun
    mapping: Any        # the Mapping (field map, value maps, crosswalks, options)
    actor: str
    dry_run: bool

    def map_fields(self, data: dict[str, Any]) -> dict[str, Any]: ...
    def crosswalk_unit(self, value: str, at=None): ...        # old unit code/name -> current AdminUnit(s)
    def crosswalk_agency(self, value: str): ...               # old agency code -> current Agency
    def review(self, kind: str, left, right, score: float, **detail): ...   # queue an uncertain duplicate
    def label(self, record: SourceRecord) -> str: ...          # "nhan_su.csv line 12", for messages


class DomainImporter:
    """Turns staged records into platform records. One instance per run; called inside the engine's
    transaction for each batch, so what it writes commits together with the staging state."""

    name: ClassVar[str] = ""            # "org.people", "portal.article", "dossiers.dossier"
    target_model: ClassVar[str] = ""    # app_label.Model, for reconciliation and provenance
    # Reconciliation compares every mapped field (the mapping's `fields:`) of every loaded record with its target:
    # with the target attribute reconcile_fields names for it ({target attribute: mapped field}), else with the
    # target attribute of the same name. A field the importer does not store as it came (crosswalked, hashed,
    # on another model) is left out only with a reason, {mapped field: why}, which the report shows; a mapped
    # field that is neither compared nor excluded with a reason leaves the run unbalanced. Every mapped text value
    # of a loaded or merged record is also checked for garbled text (bytes as base64, undecoded TCVN3).
    # A field the importer stores on a record the target points at is compared there by naming its path through
    # forward foreign keys as the target attribute ({"document__subject": "subject"}: a register entry's
    # document); such a record may be shared, so a blank source value there counts as kept when another record
    # filled it (reconciliation.read_back joins the related tables in the one query per batch).
    reconcile_fields: ClassVar[dict[str, str]] = {}
    reconcile_exclude: ClassVar[dict[str, str]] = {}
    # mapped fields stored on other records than the target (a person's membership): compared through
    # reconcile_other, for loaded and merged records alike
    reconcile_other_fields: ClassVar[tuple[str, ...]] = ()

    def reconcile_other(self, items: list[tuple[str, dict[str, Any]]], ctx: ImportContext) -> dict[str, dict]:
        """{source key: {mapped field: the value as stored}} for reconcile_other_fields, read back for these
        (source key, mapped) pairs in one go; a key left out means its record is missing."""
        return {}

    def prepare(self, ctx: ImportContext) -> None:
        pass

    def import_record(self, record: SourceRecord, mapped: dict[str, Any], ctx: ImportContext) -> Outcome:
        raise NotImplementedError

    def import_batch(self, items: list[tuple[SourceRecord, dict[str, Any]]], ctx: ImportContext) -> list[Outcome]:
        """Many records at once (bulk writes). The default calls import_record for each; the engine guards each
        call with a savepoint, so override only when the batch path handles its own bad records."""
        return [self.import_record(record, mapped, ctx) for record, mapped in items]

    def merge(self, keep: models.Model, other: models.Model, ctx: ImportContext | None) -> None:
        """A person approved that `other` is the same as `keep`: move what hangs on `other` to `keep`. The engine
        then re-points staging and provenance and deletes `other`."""
        raise NotImplementedError(f"{self.name} cannot merge records")

    def delete_record(self, record: SourceRecord, ctx: ImportContext) -> Outcome | None:
        """The source deleted this record (incremental sync); default: keep our copy, note it."""
        return None

    def finish(self, ctx: ImportContext) -> None:
        pass


_importers: dict[str, type[DomainImporter]] = {}
_source_kinds: dict[str, type[Source]] = {}


def register_importer(cls: type[DomainImporter]) -> type[DomainImporter]:
    _importers[cls.name] = cls
    return cls


def register_source_kind(kind: str, cls: type[Source]) -> None:
    _source_kinds[kind] = cls


def importer(name: str) -> type[DomainImporter]:
    try:
        return _importers[name]
    except KeyError:
        raise LookupError(f"không có bộ nhập “{name}” / no importer named {name!r}; "
                          f"known: {', '.join(sorted(_importers))}") from None


def importer_for_model(label: str) -> type[DomainImporter]:
    """The importer whose target_model is `label` ("org.person"), e.g. to merge two of its records."""
    for name in sorted(_importers):
        if _importers[name].target_model.lower() == label.lower():
            return _importers[name]
    raise LookupError(f"không có bộ nhập nào cho “{label}” / no importer targets {label}")


def source_kind(kind: str) -> type[Source]:
    try:
        return _source_kinds[kind]
    except KeyError:
        raise LookupError(f"không có loại nguồn “{kind}” / no source kind {kind!r}; "
                          f"known: {', '.join(sorted(_source_kinds))}") from None
