"""Putting things into the search index: Wagtail pages (called by the portal on publish) and any other content.

The full-text index follows SearchDocument rows through database triggers; this module keeps the vocabulary
(SearchTerm) in step, because typo correction and "did you mean" are built from our own corpus.
"""

import datetime
import html
from collections import Counter

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.search import index as wagtail_index

from hopnhat.org.models import AdminUnit

from .models import BestBet, DocType, SearchDocument, SearchTerm, is_unit_token


def terms_of(title_key: str, places_key: str, body_key: str) -> set[str]:
    """The vocabulary words of one document: its folded syllables, not the synthetic unit tokens."""
    return {t for t in f"{title_key} {places_key} {body_key}".split() if not is_unit_token(t) and len(t) < 100}


def _adjust_vocabulary(old: set[str], new: set[str]) -> None:
    added, removed = new - old, old - new
    if added:
        SearchTerm.objects.bulk_create([SearchTerm(term=t, doc_count=0) for t in added], ignore_conflicts=True)
        SearchTerm.objects.filter(term__in=added).update(doc_count=F("doc_count") + 1)
    if removed:
        SearchTerm.objects.filter(term__in=removed).update(doc_count=F("doc_count") - 1)
        SearchTerm.objects.filter(term__in=removed, doc_count__lte=0).delete()


def _terms(doc: SearchDocument) -> set[str]:
    return terms_of(doc.title_key, doc.places_key, doc.body_key)


@transaction.atomic
def index_document(*, title: str, url: str, body: str = "", page=None, source_key: str | None = None,
                   origin_unit: AdminUnit | None = None, doc_type: str = DocType.PAGE, date=None) -> SearchDocument:
    """Add or replace one document, identified by its Wagtail page or else by `source_key`."""
    if page is None and not source_key:
        raise ValueError("Cần page hoặc source_key / index_document needs a page or a source_key")
    if doc_type not in DocType.values:
        raise ValueError(f"Loại “{doc_type}” không hợp lệ ({source_key or page}) / unknown document type; "
                         f"expected one of {', '.join(DocType.values)}")
    lookup = {"page": page} if page is not None else {"source_key": source_key}
    doc = SearchDocument.objects.filter(**lookup).first()
    old_terms = _terms(doc) if doc else set()
    doc = doc or SearchDocument(**lookup)
    doc.title, doc.url, doc.body, doc.doc_type, doc.date = title, url, body, doc_type, date
    doc.origin_unit = origin_unit
    doc.save()
    _adjust_vocabulary(old_terms, _terms(doc))
    return doc


def page_text(page) -> str:
    """The searchable text of a page: the values of its Wagtail search fields, HTML removed."""
    parts = [page.search_description or ""]
    for field in getattr(page, "search_fields", []):
        if not isinstance(field, wagtail_index.SearchField) or field.field_name == "title":  # title is separate
            continue
        value = field.get_value(page)
        values = value if isinstance(value, list | tuple) else [value]
        parts += [html.unescape(strip_tags(str(v))) for v in values if v]
    return " ".join(p for p in parts if p)


def index_page(page) -> SearchDocument | None:
    """Index a live public page, or drop it from the index when it is no longer live or public.

    Optional attributes on the specific page: `origin_unit` (an AdminUnit), `search_doc_type` (a DocType value)
    and `date`; otherwise the type is "page" and the date the first publication."""
    page = page.specific
    if not page.live or page.get_view_restrictions().exists():
        unindex_page(page)
        return None
    unit = getattr(page, "origin_unit", None)
    published = getattr(page, "date", None) or page.first_published_at
    if isinstance(published, datetime.datetime):  # ArticlePage.date is a moment; the index keeps the day
        published = timezone.localdate(published) if timezone.is_aware(published) else published.date()
    return index_document(
        page=page, title=page.title, url=page.get_url() or page.url_path, body=page_text(page),
        origin_unit=unit if isinstance(unit, AdminUnit) else None,
        doc_type=getattr(page, "search_doc_type", DocType.PAGE), date=published,
    )


def unindex_page(page) -> None:
    for doc in SearchDocument.objects.filter(page_id=page.pk):
        doc.delete()  # post_delete keeps the vocabulary in step


def forget_terms(doc: SearchDocument) -> None:
    """post_delete handler: a deleted document's words no longer count."""
    _adjust_vocabulary(_terms(doc), set())


@transaction.atomic
def clear_index() -> None:
    """Empty the index (documents, their best bets, the vocabulary) in three statements, without the per-row
    delete signals a queryset delete would send: for benchmarks and full rebuilds."""
    with connection.cursor() as cur:
        for table in (BestBet._meta.db_table, SearchDocument._meta.db_table, SearchTerm._meta.db_table):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 — model table names


def rebuild_vocabulary(batch: int = 5000) -> int:
    """Recount the vocabulary from every document (after bulk loads, which bypass index_document)."""
    counts: Counter[str] = Counter()
    for keys in SearchDocument.objects.values_list("title_key", "places_key", "body_key").iterator(chunk_size=batch):
        counts.update(terms_of(*keys))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create((SearchTerm(term=t, doc_count=n) for t, n in counts.items()),
                                       batch_size=batch)
    if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses on an emptied table
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {SearchTerm._meta.db_table}")  # noqa: S608 — model table name
    return len(counts)
