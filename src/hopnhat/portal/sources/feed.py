"""RSS 2.0 and Atom feeds of old portals, from a file or a URL on an allowed host (defusedxml, as for WXR)."""

from __future__ import annotations

import io
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .base import MAX_BODY_BYTES, MediaRefused, PortalSource, error_record
from .base import article as make_article

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
MAX_FEED_BYTES = 50 * 1024 * 1024
DOCUMENT_TYPES = ("application/", "text/plain")


def _t(elem, tag: str) -> str:
    found = elem.find(tag)
    return (found.text or "").strip() if found is not None else ""


class FeedSource(PortalSource):
    """source: {kind: feed, path: rss.xml | url: https://host/rss, site: host}"""

    kind = "feed"

    def _open(self):
        if self.config.get("url"):
            from .fetch import fetcher_for

            return io.BytesIO(fetcher_for(self).get(self.config["url"], max_bytes=MAX_FEED_BYTES).body)
        return self.path().open("rb")

    def _label(self) -> str:
        return self.config.get("url") or self.path().name

    def records(self, since=None):
        label, count = self._label(), 0
        try:
            with self._open() as fh:
                for _event, elem in iterparse(fh, events=("end",), forbid_dtd=True):
                    if elem.tag in {"item", ATOM + "entry"}:
                        count += 1
                        where = f"{label}, item {count}"
                        record = self._rss(elem, where) if elem.tag == "item" else self._atom(elem, where)
                        elem.clear()
                        if since is None or (record.cursor or "") >= since:
                            yield record
        except MediaRefused as exc:
            yield error_record(f"{label}#fetch", f"{label}: {exc}", kind=self.kind, site=self.site)
        except DefusedXmlException as exc:
            yield error_record(f"{label}#refused", f"{label}: nguồn tin bị từ chối vì chứa DTD/thực thể ({exc}) — "
                               f"feed refused: DTD or entity declarations are not accepted", kind=self.kind,
                               site=self.site)
        except ParseError as exc:
            line, column = exc.position
            yield error_record(f"{label}#line-{line}", f"{label}, dòng {line}, cột {column}: XML hỏng sau mục thứ "
                               f"{count} ({exc}) / broken XML at line {line}, column {column}", kind=self.kind,
                               site=self.site)

    def _checked(self, url, where, body, **fields):
        if not url:
            return error_record(f"{where}#no-link", f"{where}: mục không có liên kết / item without a link",
                                kind=self.kind, site=self.site)
        if len(body.encode()) > MAX_BODY_BYTES:
            return error_record(url, f"{where} ({url}): nội dung quá lớn / body too large", kind=self.kind,
                                site=self.site)
        return make_article(url=url, body_html=body, kind=self.kind, site=self.site, where=where, **fields)

    def _rss(self, item, where):
        url = _t(item, "link").strip()
        guid = _t(item, "guid").strip()
        enclosures = [e for e in item.findall("enclosure") if e.get("url")]
        return self._checked(
            url, where, _t(item, CONTENT) or _t(item, "description"),
            title=_t(item, "title"), published=_t(item, "pubDate") or None,
            author=_t(item, DC_CREATOR) or _t(item, "author"),
            summary=_t(item, "description") if _t(item, CONTENT) else "",
            categories=[c.text or "" for c in item.findall("category")],
            images=[e.get("url") for e in enclosures if (e.get("type") or "").startswith("image/")],
            attachments=[{"url": e.get("url"), "title": ""} for e in enclosures
                         if (e.get("type") or "").startswith(DOCUMENT_TYPES)],
            aliases=[guid] if guid.startswith("http") and guid != url else [],
        )

    def _atom(self, entry, where):
        links = entry.findall(ATOM + "link")
        url = next((link.get("href", "") for link in links if link.get("rel", "alternate") == "alternate"), "")
        author = entry.find(f"{ATOM}author/{ATOM}name")
        return self._checked(
            url.strip(), where, _t(entry, ATOM + "content") or _t(entry, ATOM + "summary"),
            title=_t(entry, ATOM + "title"),
            published=_t(entry, ATOM + "published") or _t(entry, ATOM + "updated") or None,
            author=(author.text or "") if author is not None else "",
            summary=_t(entry, ATOM + "summary") if _t(entry, ATOM + "content") else "",
            categories=[c.get("term", "") for c in entry.findall(ATOM + "category")],
            images=[link.get("href") for link in links
                    if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/")],
            attachments=[{"url": link.get("href"), "title": link.get("title", "")} for link in links
                         if link.get("rel") == "enclosure"
                         and (link.get("type") or "").startswith(DOCUMENT_TYPES)],
        )
