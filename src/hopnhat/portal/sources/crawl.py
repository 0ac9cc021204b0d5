"""A crawl of a live old portal: sitemap.xml (and sitemap indexes) first, then the pages linked from the start
page, all on the allowed hosts, politely (robots.txt, one request per `delay` seconds per host)."""

from __future__ import annotations

import io
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as parse_xml
from lxml import html as lxml_html

from .base import MAX_BODY_BYTES, MediaRefused, PortalSource, error_record
from .base import article as make_article
from .extract import main_content
from .fetch import fetcher_for

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_PAGES = 5000


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


class CrawlSource(PortalSource):
    """source: {kind: crawl, url: https://host/, site: host, delay: 1.0, max_pages: 5000}"""

    kind = "crawl"

    def _sitemap_urls(self, fetcher, url: str, depth: int = 0) -> list[str]:
        try:
            body = fetcher.get(url).body
            root = parse_xml(io.BytesIO(body), forbid_dtd=True).getroot()
        except (MediaRefused, ParseError, DefusedXmlException):
            return []
        if root.tag == SITEMAP + "sitemapindex" and depth < 2:
            return [u for loc in root.iter(SITEMAP + "loc")
                    for u in self._sitemap_urls(fetcher, (loc.text or "").strip(), depth + 1)]
        return [(loc.text or "").strip() for loc in root.iter(SITEMAP + "loc")]

    def _links(self, page_url: str, body: bytes) -> list[str]:
        try:
            root = lxml_html.fromstring(body)
        except (ValueError, lxml_html.etree.ParserError):
            return []
        return [urljoin(page_url, href) for href in root.xpath("//a/@href")]

    def _queue(self, fetcher) -> list[str]:
        start = self.config["url"]
        parts = urlsplit(start)
        base = f"{parts.scheme}://{parts.netloc}"
        urls = self._sitemap_urls(fetcher, base + "/sitemap.xml")
        try:
            urls += self._links(start, fetcher.get(start).body)
        except MediaRefused:
            pass
        seen, queue = set(), []
        for url in urls:
            url = _canonical(url)
            if url not in seen and self.allowed(url) and url.rstrip("/") != base and fetcher.robots_allow(url):
                seen.add(url)
                queue.append(url)
        return queue[: int(self.config.get("max_pages", MAX_PAGES))]

    def records(self, since=None):
        fetcher = fetcher_for(self)
        for url in self._queue(fetcher):
            try:
                response = fetcher.get(url, max_bytes=MAX_BODY_BYTES)
            except MediaRefused as exc:
                yield error_record(url, f"{url}: {exc}", kind=self.kind, site=self.site)
                continue
            if not response.content_type.startswith("text/html"):
                continue    # files are fetched as the articles that link them are imported
            found = main_content(response.body.decode("utf-8", "replace"), url)
            if found is None:
                continue    # a listing or menu page, not an article
            record = make_article(url=url, kind=self.kind, site=self.site, where=url, **found)
            if since is None or (record.cursor or "") >= since:
                yield record
