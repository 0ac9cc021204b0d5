"""Images and attachments of imported articles: fetched from the allowed hosts (through the source), capped,
checksummed (sha256) and stored once as Wagtail images / documents; the body's links are rewritten to them."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.core.files.base import ContentFile
from lxml import html as lxml_html
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from .models import ImportedFile
from .sources.base import MediaRefused

DOCUMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".rtf",
                       ".zip", ".rar", ".7z"}
MAX_PIXELS = 40_000_000
_EMBED = re.compile(r"<embed(\s[^>]*?)/?>(?:</embed>)?")


@dataclass
class Files:
    body: str = ""
    kept: list[tuple[ImportedFile, str, str]] = field(default_factory=list)    # (file, old url, title)
    refused: list[dict] = field(default_factory=list)                         # {url, reason}


def _name(url: str) -> str:
    return PurePosixPath(unquote(urlsplit(url).path)).name or "tep"


def is_document_url(url: str) -> bool:
    return PurePosixPath(urlsplit(url).path.lower()).suffix in DOCUMENT_EXTENSIONS


def _store(data: bytes, url: str, title: str, *, as_image: bool) -> ImportedFile:
    digest = hashlib.sha256(data).hexdigest()
    existing = ImportedFile.objects.filter(sha256=digest).first()
    if existing and (existing.image_id if as_image else existing.document_id):
        return existing
    ctype = mimetypes.guess_type(_name(url))[0] or ""
    if as_image:
        try:
            with PILImage.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise MediaRefused(f"ảnh quá lớn ({width}×{height} điểm ảnh) / image too large: {url}")
                probe.verify()
        except MediaRefused:
            raise
        except Exception as exc:  # noqa: BLE001 — Pillow raises many types for a bad or hostile file
            raise MediaRefused(f"không phải ảnh hợp lệ / not a valid image: {url} ({exc})") from None
        made = get_image_model()(title=title or _name(url), file=ContentFile(data, name=_name(url)))
        made.save()
        fields = {"image": made}
    else:
        made = get_document_model()(title=title or _name(url), file=ContentFile(data, name=_name(url)))
        made.save()
        fields = {"document": made}
    if existing:
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.save(update_fields=list(fields))
        return existing
    return ImportedFile.objects.create(sha256=digest, size=len(data), content_type=ctype, first_url=url, **fields)


def keep(source, url: str, title: str, *, as_image: bool) -> ImportedFile:
    return _store(source.open_media(url), url, title, as_image=as_image)


def collect(source, body: str, base_url: str, *, images=(), attachments=()) -> Files:
    """Download what the (already sanitised) body shows or links, plus the item's listed files; rewrite the
    body to Wagtail's stored rich-text form (<embed embedtype="image">, <a linktype="document">)."""
    out = Files(body=body)
    seen: dict[str, ImportedFile | None] = {}

    def fetch(url: str, title: str, as_image: bool) -> ImportedFile | None:
        if url not in seen:
            try:
                stored = keep(source, url, title, as_image=as_image)
                out.kept.append((stored, url, title))
                seen[url] = stored
            except MediaRefused as exc:
                out.refused.append({"url": url, "reason": str(exc)})
                seen[url] = None
        return seen[url]

    if body.strip():
        root = lxml_html.fragment_fromstring(body, create_parent="div")
        for img in root.xpath(".//img"):
            url = urljoin(base_url, img.get("src", ""))
            stored = fetch(url, img.get("alt", ""), True)
            if stored is None:
                img.drop_tree()
                continue
            embed = lxml_html.Element("embed", embedtype="image", id=str(stored.image_id), format="fullwidth",
                                      alt=img.get("alt", ""))
            embed.tail = img.tail
            img.getparent().replace(img, embed)
        for link in root.xpath(".//a[@href]"):
            url = urljoin(base_url, link.get("href"))
            if not is_document_url(url):
                continue
            stored = fetch(url, link.text_content().strip(), False)
            if stored is not None:
                for attr in ("href", "rel", "title"):
                    link.attrib.pop(attr, None)
                link.set("linktype", "document")
                link.set("id", str(stored.document_id))
        html = (root.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in root)
        # Wagtail reads only the self-closing form of its embed tag.
        out.body = _EMBED.sub(r"<embed\1/>", html)
    for url in images:
        fetch(urljoin(base_url, url), "", True)
    for item in attachments:
        url = urljoin(base_url, item.get("url", ""))
        fetch(url, item.get("title", ""), not is_document_url(url) and _looks_like_image(url))
    return out


def _looks_like_image(url: str) -> bool:
    return (mimetypes.guess_type(_name(url))[0] or "").startswith("image/")
