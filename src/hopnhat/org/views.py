"""Tra cứu đơn vị hành chính: the public page and its JSON twin. Both only parse input and call lineage.lookup."""

import datetime

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language

from . import lineage

MAX_QUERY = 300


def _lang() -> str:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def _params(request) -> tuple[str, datetime.date | None, str | None]:
    """(query, at, error): the error is bilingual text for a bad date."""
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    at_text = (request.GET.get("at") or "").strip()
    if not at_text:
        return query, None, None
    try:
        return query, datetime.date.fromisoformat(at_text), None
    except ValueError:
        return query, None, (f"Ngày “{at_text}” phải có dạng YYYY-MM-DD / the date “{at_text}” must be YYYY-MM-DD")


def unit_lookup(request):
    query, at, error = _params(request)
    found = lineage.lookup(query, at=at, lang=_lang()) if query and not error else None
    return render(request, "org/unit_lookup.html", {
        "query": query,
        "at": request.GET.get("at", ""),
        "error": error,
        "found": found,
        "lang": _lang(),
    }, status=400 if error else 200)


def lineage_api(request):
    query, at, error = _params(request)
    if error or not query:
        message = error or "Thiếu tham số q (tên hoặc mã đơn vị) / the q parameter (a unit name or code) is missing"
        return JsonResponse({"ok": False, "error": message}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    found = lineage.lookup(query, at=at, lang=_lang())
    return JsonResponse({"ok": True, **found.as_dict()}, json_dumps_params={"ensure_ascii": False})
