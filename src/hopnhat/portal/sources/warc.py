"""WARC archives of old portals (warcio): every HTML response holding an article becomes an item, and the
images and attachments are read from the same archive, never from the live web."""

from __future__ import annotations

import re

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .base import MAX_BODY_BYTES, MediaRefused, PortalSource, error_record
from .base import article as make_article
from .extract import main_content


class WarcSource(PortalSource):
    """source: {kind: warc, path: old-site.warc.gz, site: host, article_pattern: regex on the URL (optional)}"""

    kind = "warc"

    def _responses(self):
        """(archive, url, content type, record) for each HTTP 200 response, in archive order. Read the record's
        content before asking the archive for its offset: warcio skips to the record's end to measure it."""
        with self.path().open("rb") as fh:
            archive = ArchiveIterator(fh)
            for record in archive:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                if record.http_headers.get_statuscode() != "200":
                    continue
                ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
                yield archive, record.rec_headers.get_header("WARC-Target-URI"), ctype, record

    def records(self, since=None):
        name = self.path().name
        pattern = re.compile(self.config["article_pattern"]) if self.config.get("article_pattern") else None
        offset = 0
        try:
            for archive, url, ctype, record in self._responses():
                if ctype != "text/html" or not self.allowed(url) or (pattern and not pattern.search(url)):
                    continue
                body = record.content_stream().read(MAX_BODY_BYTES + 1)
                offset = archive.get_record_offset()
                if len(body) > MAX_BODY_BYTES:
                    yield error_record(url, f"{name} @ {offset} ({url}): trang quá lớn / page too large",
                                       kind=self.kind, site=self.site)
                    continue
                found = main_content(body.decode("utf-8", "replace"), url)
                if found is None:
                    continue
                item = make_article(url=url, kind=self.kind, site=self.site, where=f"{name} @ {offset}", **found)
                if since is None or (item.cursor or "") >= since:
                    yield item
        except (ArchiveLoadFailed, OSError, ValueError, AttributeError) as exc:  # warcio: AttributeError for a
            # record without WARC-Target-URI (found by fuzzing, portal/tests/test_fuzz_sources.py)
            yield error_record(f"{name}#offset-{offset}", f"{name}, sau vị trí {offset}: tệp WARC hỏng ({exc}) / "
                               f"broken WARC after offset {offset}", kind=self.kind, site=self.site)

    def _index(self) -> dict[str, int]:
        index = getattr(self, "_media_index", None)
        if index is None:
            index = {}
            try:
                for archive, url, ctype, _record in self._responses():
                    if ctype != "text/html":
                        index.setdefault(url, archive.get_record_offset())
            except (ArchiveLoadFailed, OSError, ValueError, AttributeError):
                pass    # what was indexed before the break is still usable
            self._media_index = index
        return index

    def open_media(self, url: str) -> bytes:
        if not self.allowed(url):
            raise MediaRefused(f"máy chủ không được phép / host not allowed: {url}")
        offset = self._index().get(url)
        if offset is None:
            raise MediaRefused(f"không có trong tệp WARC / not in the archive: {url}")
        with self.path().open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            data = record.content_stream().read(self.max_media_bytes + 1)
        if len(data) > self.max_media_bytes:
            raise MediaRefused(f"tệp quá lớn (> {self.max_media_bytes} byte) / file too large: {url}")
        return data
