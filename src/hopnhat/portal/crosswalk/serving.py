"""Turn an `Outcome` into the HTTP answer: 301/307/308 with Location, a proxied API call, the 410 archive page,
the old site's 404 page, or 501 for a target no longer on the allow-list. Shared by the middleware (requests
on an old host) and the preview route (before the DNS switch)."""

from urllib.parse import urljoin

import requests
from django.conf import settings
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse

from hopnhat.core.middleware import LanguageMiddleware

from .api import successors_for
from .resolve import Outcome

# Bouncer's choice: answers are stable, so the CDN / browsers may keep them for an hour.
CACHE_CONTROL = "public, max-age=3600"
# What an API client's request carries that the new API needs; cookies and hop-by-hop headers stay behind.
PROXIED_HEADERS = ("Content-Type", "Accept", "Accept-Language", "Authorization", "User-Agent")
PROXY_TIMEOUT = 15


def _page(request, outcome: Outcome, template: str, status: int) -> HttpResponse:
    # The crosswalk answers before the language middleware runs: apply the site's rule (Vietnamese unless the
    # visitor switched) the same way.
    LanguageMiddleware(lambda _request: None).process_request(request)
    response = TemplateResponse(request, template, {
        "outcome": outcome,
        "old_url": f"http://{outcome.site.host}{outcome.path}",
        "successors": successors_for(outcome),
        "portal_home": urljoin(settings.WAGTAILADMIN_BASE_URL, "/"),
    }, status=status)
    response["Cache-Control"] = CACHE_CONTROL
    return response.render()


def proxy(request, target: str) -> HttpResponse:
    headers = {name: request.headers[name] for name in PROXIED_HEADERS if name in request.headers}
    headers["X-Forwarded-For"] = request.META.get("REMOTE_ADDR", "")
    headers["X-Forwarded-Host"] = request.META.get("HTTP_HOST", "")
    try:
        upstream = requests.request(request.method, target, headers=headers, data=request.body,
                                    allow_redirects=False, timeout=PROXY_TIMEOUT)
    except requests.RequestException as exc:
        return HttpResponse(f"API mới không trả lời / the new API did not answer: {exc.__class__.__name__}",
                            status=502, content_type="text/plain; charset=utf-8")
    response = HttpResponse(upstream.content, status=upstream.status_code,
                            content_type=upstream.headers.get("Content-Type", "application/octet-stream"))
    if "Location" in upstream.headers:
        response["Location"] = upstream.headers["Location"]
    return response


def respond(request, outcome: Outcome) -> HttpResponse:
    if outcome.kind == "redirect":
        response = HttpResponsePermanentRedirect(outcome.location)
    elif outcome.kind == "api":
        response = HttpResponse(status=outcome.status)
        response["Location"] = outcome.location
    elif outcome.kind == "proxy":
        return proxy(request, outcome.location)
    elif outcome.kind in {"archive", "unresolved"}:
        return _page(request, outcome, "crosswalk/gone.html", 410)
    elif outcome.kind == "refused":
        return HttpResponse("Từ chối chuyển hướng tới máy chủ không được phép / refusing to redirect",
                            status=501, content_type="text/plain; charset=utf-8")
    else:
        return _page(request, outcome, "crosswalk/not_found.html", 404)
    response["Cache-Control"] = CACHE_CONTROL
    return response
