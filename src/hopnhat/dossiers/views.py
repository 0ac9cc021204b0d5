"""Public dossier look-up: a page and a JSON API. Both need the code and the phone's last four digits, answer
the same for a wrong code and a wrong factor, and are rate-limited per client address."""

import json

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from hopnhat.core.clientip import client_ip

from . import lookup, public_catalogue
from .models import Procedure

NOT_FOUND = ("Không tìm thấy hồ sơ với mã và số điện thoại đã nhập. / "
             "No dossier matches that code and phone number.")
NEED_NAME = ("Có hơn một hồ sơ mang mã và số điện thoại này: xin nhập thêm họ tên người nộp hồ sơ. / "
             "More than one dossier has this code and phone number: please add the applicant's full name.")
TRANSFERRING = ("Hồ sơ đang được chuyển sang hệ thống mới, chưa tra cứu được quá trình xử lý; xin liên hệ cơ quan "
                "tiếp nhận. / The dossier is being transferred to the new system and cannot be shown yet; please "
                "contact the receiving agency.")
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
            _answer_into(context, request.POST)
    return render(request, "dossiers/lookup.html", context, status=status)


def _answer_into(context: dict, data) -> None:
    """The look-up's answer for the page: a dossier, a request for the applicant's name (two dossiers share
    the code and phone digits), a dossier still being transferred, or not found."""
    context["phone"] = str(data.get("phone", ""))[:4]
    answer = lookup.public_answer(context["code"], data.get("phone", ""), str(data.get("applicant_name", ""))[:200])
    context["result"] = (answer or {}).get("dossier")
    context["need_name"] = bool(answer and answer.get("need"))
    context["transferring"] = answer if answer and answer.get("transferring") else None
    context["error"] = "" if answer else NOT_FOUND


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
    answer = lookup.public_answer(str(body.get("code", ""))[:60], str(body.get("phone", "")),
                                  str(body.get("applicant_name", ""))[:200])
    if answer is None:
        return JsonResponse({"ok": False, "error": NOT_FOUND}, status=404, json_dumps_params={"ensure_ascii": False})
    if answer.get("need"):
        return JsonResponse({"ok": False, "need": answer["need"], "error": NEED_NAME},
                            json_dumps_params={"ensure_ascii": False})
    if answer.get("transferring"):
        return JsonResponse({"ok": True, **answer, "message": TRANSFERRING}, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"ok": True, "dossier": answer["dossier"]}, json_dumps_params={"ensure_ascii": False})


def procedures_page(request):
    """Danh mục thủ tục: filter by ?linh_vuc=, ?cap=, ?co_quan=, ?su_kien= (any combination)."""
    chosen = {"field": request.GET.get("linh_vuc", "")[:100], "level": request.GET.get("cap", "")[:100],
              "agency": request.GET.get("co_quan", "")[:40], "life_event": request.GET.get("su_kien", "")[:100]}
    return render(request, "dossiers/procedures.html", {
        "procedures": public_catalogue.browse(**chosen), "facets": public_catalogue.facets(), "chosen": chosen})


def procedure_page(request, code):
    # by national code (the merged catalogue's key) or a full code published before the merge
    procedures = Procedure.objects.select_related("agency").filter(active=True)
    procedure = (procedures.filter(code=code).first()
                 or procedures.filter(national_code=code).order_by("pk").first())
    if procedure is None:
        raise Http404
    return render(request, "dossiers/procedure.html", {"p": procedure})
