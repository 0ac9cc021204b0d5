"""The consolidation engine's plug-ins for old portals: source kinds wxr/feed/crawl/warc, importer portal.article."""

from __future__ import annotations

from typing import Any

from hopnhat.consolidation.api import DomainImporter, ImportContext, Outcome, SourceRecord, source_kind
from hopnhat.core.provenance import checksum
from hopnhat.org.models import AdminUnit, Level, Vintage

from . import tree
from .articles import import_article
from .sources.crawl import CrawlSource
from .sources.feed import FeedSource
from .sources.warc import WarcSource
from .sources.wxr import WxrSource

SOURCE_KINDS = {"wxr": WxrSource, "feed": FeedSource, "crawl": CrawlSource, "warc": WarcSource}
_LEVEL_BY_CODE_LENGTH = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.WARD}


def unit_from_ref(ref: Any) -> AdminUnit | None:
    """An old unit from an AdminUnit, its node id (VN/2025-06-30/ward/00913) or its old code (02, 030, 00913)."""
    if ref in (None, ""):
        return None
    if isinstance(ref, AdminUnit):
        return ref
    ref = str(ref).strip()
    if ref.startswith("VN/"):
        _vn, vintage, level, code = ref.split("/")
        query = {"vintage": vintage, "level": level, "code": code}
    else:
        level = _LEVEL_BY_CODE_LENGTH.get(len(ref))
        query = {"vintage": Vintage.OLD, "level": level, "code": ref}
    unit = AdminUnit.objects.filter(**query).first()
    if unit is None:
        raise LookupError(f"không tìm thấy đơn vị “{ref}” / no unit {ref!r}")
    return unit


class ArticleImporter(DomainImporter):
    name = "portal.article"
    target_model = "portal.ArticlePage"
    # A portal item passes through as the source read it (no `fields:`); what it becomes is checked by the
    # article's own content hash and origin record, not field by field.
    reconcile_exclude = {
        "title": "không có thì lấy 120 ký tự đầu của nội dung; trang giữ 255 ký tự (bản gốc trong ArticleOrigin) "
                 "/ an untitled item takes its body's first 120 characters; pages keep 255 (the original in "
                 "ArticleOrigin)",
        "body": "HTML làm sạch, tệp đính kèm tải về và đổi liên kết; bản gốc và mã băm trong ArticleOrigin / HTML "
                "cleaned, attachments fetched and relinked; the original and its hash in ArticleOrigin",
    }

    def prepare(self, ctx: ImportContext) -> None:
        config = ctx.mapping.source
        # The engine's own source object, so files are read through the same rate limit and archive index.
        self.source = getattr(ctx, "source", None) or source_kind(config["kind"])(config,
                                                                                  base_dir=ctx.mapping.base_dir)
        self.unit = unit_from_ref(config.get("unit"))
        self.parent = tree.news()

    def import_record(self, record: SourceRecord, mapped: dict[str, Any], ctx: ImportContext) -> Outcome:
        return import_article(record.data, source=self.source, parent=self.parent, unit=self.unit,
                              actor=ctx.actor, checksum=checksum(record.data), fetch_files=not ctx.dry_run,
                              system=ctx.mapping.system, review=None if ctx.dry_run else ctx.review)
