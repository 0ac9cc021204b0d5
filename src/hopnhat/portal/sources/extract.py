"""The article inside an old portal's page (menus, banners and footers left behind), with trafilatura."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import html as lxml_html

from hopnhat.core.text import fold

MIN_TEXT_CHARS = 200     # below this a page is a listing, a menu or an error page, not an article
_BODY = re.compile(r"<body>(.*)</body>", re.S)


def main_content(page_html: str, url: str) -> dict | None:
    """{title, body_html, published, author, categories, tags} or None when the page holds no article."""
    import trafilatura  # at first extraction, not at every command's start-up

    meta = trafilatura.bare_extraction(page_html, url=url, with_metadata=True)
    if meta is None or len(meta.text or "") < MIN_TEXT_CHARS:
        return None
    body = trafilatura.extract(page_html, url=url, output_format="html", include_images=True, include_links=True,
                               include_tables=True, favor_recall=True) or ""
    match = _BODY.search(body)
    body = match.group(1) if match else body
    title = meta.title or ""
    return {"title": title, "body_html": _without_title(body, title), "published": meta.date,
            "author": meta.author or "", "categories": list(meta.categories or []), "tags": list(meta.tags or []),
            "attachments": _document_links(page_html, url)}


def _document_links(page_html: str, url: str) -> list[dict]:
    """Links to files (PDF, Word, Excel…) anywhere on the page: main-content extraction tends to drop a short
    "Tải về: …" line, and an attachment must not be lost with it."""
    from hopnhat.portal.media import is_document_url

    root = lxml_html.fromstring(page_html)
    found, seen = [], set()
    for link in root.xpath("//a[@href]"):
        href = urljoin(url, link.get("href"))
        if is_document_url(href) and href not in seen:
            seen.add(href)
            found.append({"url": href, "title": " ".join(link.text_content().split())})
    return found


def _without_title(body: str, title: str) -> str:
    """Drop a leading heading that repeats the title: the page template shows the title already."""
    if not body.strip():
        return body
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    first = root[0] if len(root) else None
    if first is not None and first.tag in {"h1", "h2"} and fold(first.text_content()) == fold(title):
        root.remove(first)
        return "".join(lxml_html.tostring(child, encoding="unicode") for child in root)
    return body
