"""What every old-portal source shares: the item it yields, the hosts it may touch, and how it hands over files.

An item is one SourceRecord keyed by its old URL, so re-reading a portal stages the same keys again (idempotent)
and the engine's reconciliation counts one record per old article. A part of the input that cannot be read
becomes an *error record* naming the file and line (or offset), which the importer quarantines: what was read
before it is kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hopnhat.consolidation.api import Source, SourceRecord
from hopnhat.core.text import nfc

MAX_MEDIA_BYTES = 20 * 1024 * 1024
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_KEY = 500       # StagedRecord.key


class MediaRefused(Exception):
    """A file we will not keep (host not allowed, too big, missing); the message says why, Vietnamese first."""


def article(*, url: str, title: str, body_html: str, kind: str, site: str, published: str | None = None,
            author: str = "", summary: str = "", categories=(), tags=(), images=(), attachments=(),
            aliases=(), status: str = "publish", where: str = "", index_pages=None) -> SourceRecord:
    """`index_pages`: old addresses of the item's sections (a category's page) → the section's name."""
    data: dict[str, Any] = {
        "url": url, "title": nfc(title), "body_html": body_html or "", "summary": nfc(summary), "kind": kind,
        "site": site, "published": published, "author": nfc(author), "status": status, "where": where,
        "categories": [nfc(c) for c in categories if nfc(c)], "tags": [nfc(t) for t in tags if nfc(t)],
        "images": list(images), "attachments": [dict(a) for a in attachments], "aliases": list(aliases),
    }
    if index_pages:
        data["index_pages"] = {u: nfc(n) for u, n in index_pages.items()}
    return SourceRecord(key=record_key(url), data=data, cursor=published)


def record_key(url: str) -> str:
    """The old URL, or for one longer than the engine's key column (old portals' query strings can be) its
    start and a digest of the whole; the record's data always keeps the full URL."""
    if len(url) <= MAX_KEY:
        return url
    return f"{url[:MAX_KEY - 72]}#sha256:{hashlib.sha256(url.encode()).hexdigest()}"


def error_record(key: str, message: str, *, kind: str, site: str) -> SourceRecord:
    return SourceRecord(key=record_key(key), data={"error": message, "kind": kind, "site": site})


def host_of(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


class PortalSource(Source):
    """Config: site (old host), unit (old AdminUnit node id), allowed_hosts, media_dir (a copy of the old
    server's files: https://host/<path> is read from media_dir/<path>), max_media_bytes."""

    kind = ""

    @property
    def site(self) -> str:
        return self.config.get("site", "")

    @property
    def allowed_hosts(self) -> set[str]:
        hosts = {h.lower() for h in self.config.get("allowed_hosts") or []}
        if self.site:
            hosts.add(self.site.lower())
        return hosts | {"www." + h for h in hosts if not h.startswith("www.")}

    @property
    def max_media_bytes(self) -> int:
        return int(self.config.get("max_media_bytes") or MAX_MEDIA_BYTES)

    def path(self, key: str = "path") -> Path:
        path = Path(self.config[key])
        if not path.is_absolute() and self.base_dir:
            path = Path(self.base_dir) / path
        return path

    def describe(self) -> str:
        if self.config.get("path"):
            return self.path().name
        return self.config.get("url") or self.kind

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            return False
        netloc = parts.netloc.lower()
        return netloc in self.allowed_hosts or (parts.hostname or "") in self.allowed_hosts

    def open_media(self, url: str) -> bytes:
        """The bytes of an image or attachment the old site linked to, from the allowed hosts only."""
        if not self.allowed(url):
            raise MediaRefused(f"máy chủ không được phép / host not allowed: {host_of(url)}")
        if self.config.get("media_dir"):
            return self._from_media_dir(url)
        from .fetch import fetcher_for

        return fetcher_for(self).get(url, max_bytes=self.max_media_bytes).body

    def _from_media_dir(self, url: str) -> bytes:
        root = self.path("media_dir").resolve()
        target = (root / unquote(urlsplit(url).path).lstrip("/")).resolve()
        if root not in target.parents:
            raise MediaRefused(f"đường dẫn ngoài thư mục / path outside the media copy: {url}")
        if not target.is_file():
            raise MediaRefused(f"không có tệp / no such file in the media copy: {url}")
        if target.stat().st_size > self.max_media_bytes:
            raise MediaRefused(f"tệp quá lớn ({target.stat().st_size} byte) / file too large: {url}")
        return target.read_bytes()
