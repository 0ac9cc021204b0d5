"""WordPress export files (WXR, RSS 2.0 with the wp: namespace), parsed with defusedxml: a DTD, entity or
external reference (billion laughs, XXE) refuses the file; broken XML ends the file with an error record that
names the line, after every item read before it."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .base import MAX_BODY_BYTES, PortalSource, error_record
from .base import article as make_article

NS = {
    "wp": "http://wordpress.org/export/1.2/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
ARTICLE_TYPES = {"post", "page"}
CATEGORY = f"{{{NS['wp']}}}category"


def _text(item, path: str) -> str:
    found = item.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


class WxrSource(PortalSource):
    """source: {kind: wxr, path: export.xml, site: hagiang.gov.vn, media_dir: uploads-copy/ (optional)}"""

    kind = "wxr"

    def _items(self, categories: dict | None = None):
        """(line, <item>) pairs, streaming; each item is cleared once read so memory stays flat. The channel's
        <wp:category> entries (term id, nicename, name) go into `categories` when given."""
        with self.path().open("rb") as fh:
            for _event, elem in iterparse(fh, events=("end",), forbid_dtd=True):
                if elem.tag == "item":
                    yield elem
                    elem.clear()
                elif elem.tag == CATEGORY and categories is not None:
                    nicename = _text(elem, "wp:category_nicename")
                    if nicename:
                        categories[nicename] = _text(elem, "wp:term_id")

    def _attachments(self) -> tuple[dict[str, list[dict]], dict[str, str]]:
        """post id → its attachments (WordPress lists them as items of their own, often after the post), and
        category nicename → term id (for the old /?cat=N addresses)."""
        found, categories = defaultdict(list), {}
        try:
            for item in self._items(categories):
                if _text(item, "wp:post_type") == "attachment":
                    found[_text(item, "wp:post_parent")].append(
                        {"url": _text(item, "wp:attachment_url"), "title": _text(item, "title")})
        except (ParseError, DefusedXmlException):
            pass    # reported, with its line, by records()
        return found, categories

    def records(self, since=None):
        name = self.path().name
        attachments, self._categories = self._attachments()
        count = 0
        try:
            for item in self._items():
                count += 1
                record = self._record(item, attachments, f"{name}, item {count}")
                if record is not None and (since is None or (record.cursor or "") >= since):
                    yield record
        except DefusedXmlException as exc:
            yield error_record(f"{name}#refused", f"{name}: tệp XML bị từ chối vì chứa DTD/thực thể ({exc}) — "
                               f"file refused: DTD or entity declarations are not accepted", kind=self.kind,
                               site=self.site)
        except ParseError as exc:
            line, column = exc.position
            yield error_record(f"{name}#line-{line}", f"{name}, dòng {line}, cột {column}: XML hỏng sau mục thứ "
                               f"{count} ({exc}) / broken XML at line {line}, column {column}", kind=self.kind,
                               site=self.site)

    def _record(self, item, attachments, where):
        post_type = _text(item, "wp:post_type") or "post"
        url = _text(item, "link").strip()
        guid = _text(item, "guid").strip()
        if post_type == "attachment":
            return None     # kept with the post it belongs to
        if not url:
            return error_record(f"{where}#no-link", f"{where}: mục không có liên kết (link) / item without a link",
                                kind=self.kind, site=self.site)
        body = _text(item, "content:encoded")
        if len(body.encode()) > MAX_BODY_BYTES:
            return error_record(url, f"{where} ({url}): nội dung quá lớn ({len(body.encode())} byte) / body too "
                                f"large", kind=self.kind, site=self.site)
        categories = [c.text or "" for c in item.findall("category") if c.get("domain") == "category"]
        # The category's own old addresses: /category/<nicename>/ and, when the export names its id, /?cat=N.
        root = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        index_pages = {}
        for c in item.findall("category"):
            nicename = c.get("nicename") or ""
            if c.get("domain") != "category" or not nicename or not (c.text or "").strip():
                continue
            index_pages[f"{root}/category/{nicename}/"] = c.text.strip()
            if term_id := getattr(self, "_categories", {}).get(nicename):
                index_pages[f"{root}/?cat={term_id}"] = c.text.strip()
        tags = [c.text or "" for c in item.findall("category") if c.get("domain") == "post_tag"]
        status = _text(item, "wp:status") or "publish"
        return make_article(
            url=url, title=_text(item, "title"), body_html=body, kind=self.kind, site=self.site,
            published=_text(item, "wp:post_date") or _text(item, "pubDate") or None,
            author=_text(item, "dc:creator"), summary=_text(item, "excerpt:encoded"),
            categories=categories, tags=tags,
            attachments=attachments.get(_text(item, "wp:post_id"), []),
            aliases=[guid] if guid and guid != url and guid.startswith("http") else [],
            status=status if post_type in ARTICLE_TYPES else f"type:{post_type}", where=where,
            index_pages=index_pages,
        )
