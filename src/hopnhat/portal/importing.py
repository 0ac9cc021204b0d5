"""`run_import`: import one old portal (a WXR export, a feed, a live crawl or a WARC) through the consolidation
engine, so every old article is staged raw and ends exactly one of loaded / merged / quarantined / filtered.
`hopnhat portal import` (portal.crosswalk's command) and the demo call it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.text import slugify

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord

from .importers import SOURCE_KINDS, unit_from_ref

BATCH_SIZE = 50      # pages are heavy (revisions, files): smaller batches keep each transaction short


def mapping_for(kind: str, source: str | dict, *, site: str, unit=None) -> Mapping:
    if kind not in SOURCE_KINDS:
        raise ValueError(f"loại nguồn “{kind}” không hỗ trợ / unknown source kind {kind!r}; "
                         f"known: {', '.join(SOURCE_KINDS)}")
    config: dict[str, Any] = dict(source) if isinstance(source, dict) else (
        {"url": source} if str(source).startswith(("http://", "https://")) else {"path": str(Path(source))})
    config.update(kind=kind, site=site.lower())
    unit = unit_from_ref(unit)
    if unit is not None:
        config["unit"] = unit.node_id
    return Mapping.from_dict({
        "system": f"portal-{slugify(site)}"[:100], "system_type": "portal",   # the crosswalk's cutover hook
        "stream": f"articles-{kind}", "importer": "portal.article",
        "source": config, "options": {"batch_size": BATCH_SIZE},
    })


def run_import(kind: str, source: str | dict, *, site: str, unit=None, dry_run: bool = False, actor) -> dict:
    """Import one old portal. `source` is a file path, a URL (feed, crawl) or a source config dict; `site` the
    old host (hagiang.gov.vn); `unit` the old unit that ran it (AdminUnit, node id or old code)."""
    mapping = mapping_for(kind, source, site=site, unit=unit)
    run = run_mapping(mapping, actor=actor if isinstance(actor, str) else actor.get_username(), dry_run=dry_run)
    problems = (StagedRecord.objects.filter(system=mapping.system, stream=mapping.stream, last_run=run,
                                            outcome="quarantined").order_by("key").values("key", "reason"))
    return {
        "run": run.pk, "system": mapping.system, "stream": mapping.stream, "kind": kind, "site": site,
        "dry_run": dry_run, "status": run.status, "balanced": run.balanced, "totals": run.totals,
        "quarantined": list(problems),
    }
