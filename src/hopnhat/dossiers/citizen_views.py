"""The citizen's pages (issue 17): submit a procedure online, my dossiers, a supplement upload, the receipt slip.
Thin: the work is in online.py and citizen.py."""

import io
import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import citizen, online, slip
from .models import Procedure


def _uploads(request, papers: list[str]) -> list[online.Upload]:
    out = []
    for i, paper in enumerate(papers):
        for f in request.FILES.getlist(f"paper-{i}"):
            if f.size > online.MAX_BYTES:
                raise online.Refused(f"“{f.name}”: lớn hơn {online.MAX_BYTES // 1024 // 1024} MB / too large")
            out.append(online.Upload(paper, f.name, f.read()))
    return out


@login_required
def submit_view(request, code):
    procedure = (Procedure.objects.filter(active=True, code=code).first()
                 or Procedure.objects.filter(active=True, national_code=code).order_by("pk").first())
    if procedure is None:
        raise Http404
    papers = [p["name"] for p in procedure.papers]
    context = {"p": procedure, "papers": papers, "key": request.POST.get("key") or uuid.uuid4().hex,
               "values": request.POST, "choices": [], "error": ""}
    if request.method == "POST":
        try:
            dossier = online.submit(
                key=context["key"], citizen_id_hash=online.id_hash_of(request.user),
                applicant_name=request.POST.get("applicant_name", "").strip()[:200], procedure=procedure,
                place=request.POST.get("place", "").strip()[:300], ward_code=request.POST.get("ward", ""),
                phone=request.POST.get("phone", "").strip()[:20], email=request.POST.get("email", "").strip()[:254],
                address=request.POST.get("address", "")[:500],
                files=_uploads(request, papers))
            return redirect("dossiers:my-dossier-done", pk=dossier.pk)
        except online.Refused as exc:
            context["error"] = str(exc)
            place = request.POST.get("place", "")
            destinations = online.resolve_place(place) if place else []
            context["choices"] = destinations if len(destinations) > 1 else []
    return render(request, "dossiers/submit.html", context, status=400 if context["error"] else 200)


@login_required
def my_dossiers_view(request):
    return render(request, "dossiers/my_dossiers.html", {"dossiers": citizen.my_dossiers(request.user),
                                                          "done": request.GET.get("nop") == "1"})


def _mine(request, pk):
    dossier = citizen.dossiers_of(request.user).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


@login_required
def done_view(request, pk):
    dossier = _mine(request, pk)
    return render(request, "dossiers/submitted.html", {"d": dossier})


@login_required
def my_slip_view(request, pk):
    dossier = _mine(request, pk)
    pdf = slip.render_pdf(slip.slip_data(dossier, request))
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf", filename=f"giay-tiep-nhan-{dossier.code}.pdf")


@login_required
@require_POST
def supply_view(request, pk):
    dossier = _mine(request, pk)
    files = [online.Upload("Bổ sung / Supplement", f.name, f.read()) for f in request.FILES.getlist("files")]
    try:
        citizen.supply(request.user, dossier, files)
    except online.Refused as exc:
        return render(request, "dossiers/my_dossiers.html",
                      {"dossiers": citizen.my_dossiers(request.user), "error": str(exc)}, status=400)
    return redirect("dossiers:my-dossiers")


@login_required
def my_result_view(request, pk, file_pk):
    dossier = _mine(request, pk)
    result = get_object_or_404(dossier.files, pk=file_pk, paper=citizen.RESULT_PAPER)
    return FileResponse(result.file.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=result.name)
