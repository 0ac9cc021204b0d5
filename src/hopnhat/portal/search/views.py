"""The search page: parse the request, call engine.search, render."""

from django.shortcuts import render

from hopnhat.core.paging import lenient_page

from .engine import FACETS, SearchError, search


def _page_number(value: str | None) -> int:
    return lenient_page(value)


def search_page(request):
    query = request.GET.get("q", "")
    facets = {name: request.GET.getlist(name) for name in FACETS if request.GET.getlist(name)}
    try:
        results = search(query, facets=facets, page=_page_number(request.GET.get("page")))
        error, status = None, 200
    except SearchError as exc:
        results, error, status = None, str(exc), 400
    return render(request, "portal_search/search.html", {"query": query, "results": results, "error": error},
                  status=status)
