"""The mobile JSON API, version 1: portal pages, search and old-URL look-up, described by OpenAPI.

Served under /api/v1/: the OpenAPI document at /api/v1/openapi.json, its browsable docs at /api/v1/docs.
Read-only and public: it shows what the public portal shows (live pages without view restrictions).
"""

import datetime

from django.http import Http404
from ninja import NinjaAPI, Query, Schema, Status
from wagtail.models import Page

from hopnhat.core import paging

from .engine import SearchError, search
from .indexing import page_text
from .models import SearchDocument

api = NinjaAPI(
    title="hopnhat — API cổng thông tin / portal API",
    version="1",
    description="Trang, tìm kiếm và tra cứu địa chỉ cũ cho ứng dụng di động. / Pages, search and old-address "
                "look-up for the mobile app.",
    urls_namespace="portal_api_v1",
    docs_url="/docs",
)


class Error(Schema):
    detail: str


class PageSummary(Schema):
    id: int
    title: str
    url: str
    type: str
    first_published_at: datetime.datetime | None
    last_published_at: datetime.datetime | None


class PageList(Schema):
    count: int
    offset: int
    limit: int
    items: list[PageSummary]


class PageDetail(PageSummary):
    search_description: str
    text: str
    origin_unit: str | None


class HitOut(Schema):
    id: int
    title: str
    url: str
    title_html: str
    snippet_html: str
    doc_type: str
    doc_type_label: str
    unit: str | None
    unit_id: int | None
    date: str | None
    score: float
    pinned: bool
    related: bool


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class Understood(Schema):
    text: str
    kind: str
    phrases: list[str]
    correction: str | None
    units: list[str]


class SearchOut(Schema):
    query: str
    total: int
    total_is_lower_bound: bool
    page: int
    per_page: int
    pages: int
    suggestion: str | None
    relaxed: bool
    hits: list[HitOut]
    facets: dict[str, list[FacetValueOut]]
    selected: dict[str, list[str]]
    understood: list[Understood]
    took_ms: float


class SearchParams(Schema):
    q: str
    unit: list[int] = []
    type: list[str] = []
    year: list[int] = []
    page: int = 1
    per_page: int = 10


class RedirectOut(Schema):
    old_url: str
    type: str
    status: int
    target: str
    rule: str
    archive_copy: str


def _public_pages():
    return Page.objects.live().public().filter(depth__gt=1).specific()


def _summary(page) -> dict:
    return {"id": page.pk, "title": page.title, "url": page.get_url() or page.url_path,
            "type": page.specific_class._meta.label_lower if page.specific_class else "wagtailcore.page",
            "first_published_at": page.first_published_at, "last_published_at": page.last_published_at}


@api.exception_handler(paging.PagingError)
def _bad_paging(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.get("/pages", response={200: PageList, 400: Error}, summary="Danh sách trang / list pages", tags=["pages"])
def list_pages(request, offset: int = 0, limit: int = 20):
    offset, limit = paging.offset_limit(offset, limit)
    pages = _public_pages().order_by("-first_published_at", "pk")
    return {"count": pages.count(), "offset": offset, "limit": limit,
            "items": [_summary(p) for p in pages[offset:offset + limit]]}


@api.get("/pages/{page_id}", response={200: PageDetail, 404: Error}, summary="Một trang / one page",
         tags=["pages"])
def page_detail(request, page_id: int):
    page = _public_pages().filter(pk=page_id).first()
    if page is None:
        raise Http404(f"Không có trang công khai số {page_id} / no public page {page_id}")
    doc = SearchDocument.objects.filter(page_id=page.pk).select_related("origin_unit").first()
    unit = doc.origin_unit if doc and doc.origin_unit_id else getattr(page, "origin_unit", None)
    return {**_summary(page), "search_description": page.search_description or "",
            "text": doc.body if doc else page_text(page), "origin_unit": getattr(unit, "name", None)}


@api.get("/search", response={200: SearchOut, 400: Error, 422: Error}, summary="Tìm kiếm / search", tags=["search"])
def search_endpoint(request, params: Query[SearchParams]):
    page = paging.page_number(params.page)
    try:
        results = search(params.q, facets={"unit": params.unit, "type": params.type, "year": params.year},
                         page=page, per_page=params.per_page)
    except SearchError as exc:
        return Status(422, {"detail": str(exc)})
    return results.as_dict()


@api.get("/redirects", response={200: RedirectOut, 404: Error, 422: Error},
         summary="Tra cứu địa chỉ cũ / look up an old URL", tags=["redirects"])
def redirect_lookup(request, url: str):
    """Where an old portal address goes now (redirect, archive, unresolved…), from the URL crosswalk."""
    from hopnhat.portal.crosswalk.canonical import BadOldUrl
    from hopnhat.portal.crosswalk.resolve import resolve_url

    try:
        outcome = resolve_url(url)
    except BadOldUrl as exc:
        return Status(422, {"detail": str(exc)})
    if outcome is None:
        return Status(404, {"detail": f"“{url}” không thuộc cổng cũ nào đã đăng ký / is not on a registered old "
                                      f"site"})
    data = outcome.as_dict()
    return {"old_url": url, "type": data["type"], "status": data["status"], "target": data["target"],
            "rule": data["rule"], "archive_copy": data["archive_copy"]}


@api.get("/", summary="Mục lục API / API index", tags=["index"], include_in_schema=False)
def index(request):
    """`/api/v1/` answers with where the documentation is and what the API offers (issue 19)."""
    base = request.path.rstrip("/")
    return {"name": api.title, "version": api.version, "documentation": f"{base}{api.docs_url}",
            "openapi": f"{base}/openapi.json",
            "endpoints": {"pages": f"{base}/pages", "search": f"{base}/search?q=…",
                          "redirects": f"{base}/redirects?url=…"}}
