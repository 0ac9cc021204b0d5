"""One old article in, one portal page out — or one more origin on the page it duplicates.

`import_article` is what the consolidation importer calls per staged record; tests call it directly too.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import vn_text
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from hopnhat.consolidation.api import Outcome, filtered, loaded, merged, quarantined
from hopnhat.core import audit, provenance
from hopnhat.core.text import nfc
from hopnhat.org.models import AdminUnit
from hopnhat.portal.crosswalk.api import map_url
from hopnhat.portal.crosswalk.canonical import split_url
from hopnhat.portal.crosswalk.resolve import page_url

from . import addresses, fingerprint, media, tree
from .cleaning import parse_when, plain_text, sanitise
from .models import ArticleBand, ArticleFile, ArticleOrigin, ArticlePage
from .sources.base import MAX_BODY_BYTES

# A dot between digit groups of three is a thousands separator (9.000, 2.400.000); a comma between digits is a
# decimal point (1,5). fold() drops both as punctuation and then strips leading zeros ("9 000" → "9 0").
_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_DECIMAL = re.compile(r"(?<=\d),(?=\d)")


def slug_of(title: str) -> str:
    """The URL slug of a title: no diacritics, digits kept whole ("Hơn 9.000 thí sinh" → hon-9000-thi-sinh)."""
    text = _DECIMAL.sub("-", _THOUSANDS.sub("", nfc(title)))
    text = vn_text.fold(text).translate(_D)
    return slugify(text)


_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def _unique_slug(parent, title: str) -> str:
    base = slug_of(title)[:70].strip("-") or "tin"
    slug, n = base, 1
    while parent.get_children().filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _find_duplicate(content_hash: str, sig: list[int], text: str) -> tuple[ArticlePage | None, float, list]:
    """The page this text duplicates (exact, or near with the same facts), its similarity, and the uncertain
    pairs to queue for review: (page, score, why). Posts that differ in place, date or number are different
    documents (fingerprint.verdict), however alike their wording."""
    exact = ArticleOrigin.objects.filter(content_hash=content_hash).select_related("page").first()
    if exact:
        return exact.page, 1.0, []
    bands = fingerprint.bands(sig)
    if not bands:
        return None, 0.0, []
    query = Q()
    for band, value in bands:
        query |= Q(band=band, value=value)
    origin_ids = ArticleBand.objects.filter(query).values_list("origin_id", flat=True).distinct()
    scored = []
    for origin in ArticleOrigin.objects.filter(pk__in=list(origin_ids)).select_related("page"):
        score = fingerprint.similarity(sig, origin.signature)
        if score >= fingerprint.REVIEW_FLOOR:
            scored.append((score, origin.pk, origin))
    if not scored:
        return None, 0.0, []
    mine = fingerprint.facts(text)
    best, best_score, uncertain = None, 0.0, {}
    for score, _, origin in sorted(scored, key=lambda s: (-s[0], s[1])):
        theirs = fingerprint.facts(f"{origin.title} {plain_text(origin.body)}")
        decision = fingerprint.verdict(score, mine, theirs)
        if decision == "merge" and best is None:
            best, best_score = origin.page, score
        elif decision == "review" and origin.page_id not in uncertain:
            differ = sorted(" ".join(f) for f in fingerprint.facts_differ(mine, theirs))  # kind slot value
            uncertain[origin.page_id] = (origin.page, score, differ)
    if best is not None:
        return best, best_score, []
    return None, max(s for s, _, _ in scored), list(uncertain.values())


def _publish(page: ArticlePage, actor) -> None:
    page.save_revision(log_action=False).publish(log_action=False)


def _attach(page: ArticlePage, files: media.Files) -> None:
    for stored, url, title in files.kept:
        ArticleFile.objects.get_or_create(page=page, file=stored, defaults={"old_url": url, "title": nfc(title)})


@transaction.atomic
def import_article(item: dict, *, source, parent, unit: AdminUnit | None, actor, checksum: str = "",
                   fetch_files: bool = True, system: str = "", review=None) -> Outcome:
    """Load, merge or refuse one item (the dict a portal source yields). Idempotent on the old URL. `system`: the
    migration system importing it, which an old site met for the first time is tied to (its cutover). `review`:
    the engine's ImportContext.review, which queues a pair that may be one article (kept apart meanwhile).

    The engine records provenance (system, old URL) for the outcome's target; a dry run passes
    fetch_files=False, since downloaded files would outlive the rolled-back transaction."""
    url, where = item.get("url", ""), item.get("where") or item.get("url", "")
    if item.get("error"):
        return quarantined(item["error"])
    if item.get("status", "publish") != "publish":
        return filtered(f"not-published:{item['status']}", url=url)
    if len((item.get("body_html") or "").encode()) > MAX_BODY_BYTES:
        return quarantined(f"{where}: nội dung quá lớn / body too large")
    body = sanitise(item.get("body_html", ""))
    title = nfc(item.get("title")) or nfc(plain_text(body))[:120]
    text = plain_text(body)
    if not title or not text:
        return quarantined(f"{where}: mục không có tiêu đề hoặc nội dung / item without a title or body")
    checksum = checksum or provenance.checksum(item)
    published = parse_when(item.get("published"))

    origin = ArticleOrigin.objects.filter(old_url=url).select_related("page").first()
    if origin is not None:
        if origin.record_checksum == checksum:
            return merged(origin.page, reason="unchanged", url=url)
        origin.title, origin.body, origin.record_checksum = title, body, checksum
        origin.save(update_fields=["title", "body", "record_checksum"])
        audit.record(actor, "portal.article.origin_updated", origin.page, url=url)
        return merged(origin.page, reason="updated", url=url)

    full_text = f"{title} {text}"
    digest, sig = fingerprint.content_hash(full_text), fingerprint.signature(full_text)
    page, score, uncertain = _find_duplicate(digest, sig, full_text)
    files = (media.collect(source, body, url, images=item.get("images", ()), attachments=item.get("attachments", ()))
             if fetch_files else media.Files(body=body))
    if page is None:
        page = ArticlePage(
            title=title[:255], slug=_unique_slug(parent, title), date=published, author=nfc(item.get("author")),
            summary=plain_text(item.get("summary", ""))[:1000], body=files.body,
            categories=item.get("categories", []), tags=item.get("tags", []), origin_unit=unit,
        )
        parent.add_child(instance=page)
        _publish(page, actor)
        outcome = loaded(page, url=url)
        action, score = "portal.article.loaded", 1.0
    else:
        new_labels = {
            "categories": [c for c in item.get("categories", []) if c not in page.categories],
            "tags": [t for t in item.get("tags", []) if t not in page.tags],
        }
        if any(new_labels.values()):
            page.categories = page.categories + new_labels["categories"]
            page.tags = page.tags + new_labels["tags"]
            _publish(page, actor)
        outcome = merged(page, reason=f"near-duplicate:{score:.2f}", url=url)
        action = "portal.article.merged"
    origin = ArticleOrigin.objects.create(
        page=page, old_url=url, old_site=item.get("site", ""), source_kind=item.get("kind", ""), unit=unit,
        title=title[:500], published=published, author=nfc(item.get("author")), body=body, content_hash=digest,
        record_checksum=checksum, signature=sig, similarity=score, media_refused=files.refused,
    )
    ArticleBand.objects.bulk_create(ArticleBand(origin=origin, band=b, value=v) for b, v in fingerprint.bands(sig))
    _attach(page, files)
    audit.record(actor, action, page, url=url, site=origin.old_site, similarity=round(score, 3),
                 files=len(files.kept), refused=len(files.refused))
    old_urls = [url, *item.get("aliases", [])]
    site = addresses.prepare_site(old_urls, unit=unit, system=system, actor=actor)  # ?p=… before mapping it
    for old in old_urls:
        map_url(old, page=page, kind="redirect", unit=unit, actor=actor, system=system)   # every old URL answers
    if review is not None:
        for other, other_score, differ in uncertain:
            review("portal.near-duplicate", other, page, round(other_score, 3), url=url,
                   reason="gần trùng nhưng chưa chắc / alike, not surely the same", differ=differ[:10])
    unit_page = tree.historic_page(unit) if unit is not None else None
    _land_index_pages(site, url, item, source, unit_page, actor)
    return outcome


def _land_index_pages(site, url: str, item: dict, source, unit_page, actor) -> None:
    """The old site's home and section pages above this article, and its category pages, land on the old unit's
    page (or the new home), unless the source config says `index_pages: home | none` (see addresses.py)."""
    rule = (getattr(source, "config", None) or {}).get("index_pages", "unit")
    if site is None or rule == "none":
        return
    target = unit_page if rule == "unit" and unit_page is not None else tree.home()
    extra = {}
    for old, name in (item.get("index_pages") or {}).items():
        host, path, query = split_url(old)
        extra[f"{path}?{query}" if query else path] = f"{page_url(target)}?chuyen-muc={quote(name)}"
    addresses.land_index_pages(site, [url], target=target, actor=actor, extra=extra)
