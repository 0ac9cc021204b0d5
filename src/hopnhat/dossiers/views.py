"""Public dossier look-up: a page and a JSON API. Both need the code and the phone's last four digits, answer
the same for a wrong code and a wrong factor, and are rate-limited per client address."""

import json

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from hopnhat.core.clientip import client_ip

from . import lookup

NOT_FOUND = ("Không tìm thấy hồ sơ với mã và số điện thoại đã nhập. / "
             "No dossier matches that code and phone number.")
TOO_MANY = "Tra cứu quá nhiều lần, xin thử lại sau ít phút. / Too many look-ups, please try again in a few minutes."


def _client(request) -> str:
    """The address to count look-ups against: the right-most X-Forwarded-For entry written by a proxy we trust
    (HOPNHAT_TRUSTED_PROXIES), never one the client wrote itself."""
    return client_ip(request)


@require_http_methods(["GET", "POST"])
def lookup_page(request):
    # ?code= pre-fills the form (the QR code on the receipt slip); the phone factor is still asked for.
    context, status = {"code": request.GET.get("code", "").strip()[:60], "result": None, "error": ""}, 200
    if request.method == "POST":
        context["code"] = request.POST.get("code", "").strip()[:60]
        if not lookup.rate_limit_ok(_client(request), context["code"]):
            context["error"], status = TOO_MANY, 429
        else:
            context["result"] = lookup.public_lookup(context["code"], request.POST.get("phone", ""))
            context["error"] = "" if context["result"] else NOT_FOUND
    return render(request, "dossiers/lookup.html", context, status=status)


@require_POST
def lookup_api(request):
    """POST {"code": "...", "phone": "1234"} → {"ok": true, "dossier": {...}} or {"ok": false, "error": ...}."""
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = request.POST
    if not isinstance(body, dict):
        body = {}
    if not lookup.rate_limit_ok(_client(request), str(body.get("code", ""))):
        return JsonResponse({"ok": False, "error": TOO_MANY}, status=429)
    found = lookup.public_lookup(str(body.get("code", ""))[:60], str(body.get("phone", "")))
    if found is None:
        return JsonResponse({"ok": False, "error": NOT_FOUND}, status=404, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"ok": True, "dossier": found}, json_dumps_params={"ensure_ascii": False})
