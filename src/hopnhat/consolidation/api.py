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

    def estimate(self) -> int | None:
        """How many records there are, for the progress bar; None when unknown."""
        return None


@dataclass
class Outcome:
    status: str                               # loaded | merged | quarantined | filtered
    target: models.Model | None = None        # loaded: the record made; merged: the record it went into
    reason: str = ""                          # quarantined: why (names the record); filtered: the rule name
    detail: dict[str, Any] = field(default_factory=dict)


def loaded(target: models.Model, **detail) -> Outcome:
    return Outcome("loaded", target=target, detail=detail)


def merged(into: models.Model, reason: str = "", **detail) -> Outcome:
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


class DomainImporter:
    """Turns staged records into platform records. One instance per run; called inside the engine's
    transaction for each batch, so what it writes commits together with the staging state."""

    name: ClassVar[str] = ""            # "org.people", "portal.article", "dossiers.dossier"
    target_model: ClassVar[str] = ""    # app_label.Model, for reconciliation and provenance

    def prepare(self, ctx: ImportContext) -> None:
        pass

    def import_record(self, record: SourceRecord, mapped: dict[str, Any], ctx: ImportContext) -> Outcome:
        raise NotImplementedError

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


def source_kind(kind: str) -> type[Source]:
    try:
        return _source_kinds[kind]
    except KeyError:
        raise LookupError(f"không có loại nguồn “{kind}” / no source kind {kind!r}; "
                          f"known: {', '.join(sorted(_source_kinds))}") from None
