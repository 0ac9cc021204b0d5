"""The citizen's pages (issue 17): submit a procedure online, my dossiers, a supplement upload, the receipt slip.
Thin: the work is in online.py and citizen.py."""

import io
import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hopnhat.core.lang import is_english

from . import citizen, eform, online, slip, uploads
from .models import Procedure


def _uploads(request, papers: list[str], key: str) -> list[online.Upload]:
    """Each paper's files: sent in the multipart body (a form without JavaScript), or uploaded before through the
    resumable endpoint (tus) and named here by their upload ids (`upload-<i>`)."""
    out = []
    named = []
    for i, paper in enumerate(papers):
        for f in request.FILES.getlist(f"paper-{i}"):
            if f.size > online.MAX_BYTES:
                raise online.Refused(f"“{f.name}”: lớn hơn {online.MAX_BYTES // 1024 // 1024} MB / too large")
            out.append(online.Upload(paper, f.name, f.read()))
        named += [(paper, upload_id) for upload_id in request.POST.getlist(f"upload-{i}") if upload_id]
    try:
        out += uploads.collect(request.user, key, named)
    except uploads.UploadError as exc:
        raise online.Refused(str(exc)) from exc
    return out


def one_language(message: str) -> str:
    """The citizen's messages are written "Vietnamese / English" (online.Refused): the half of the page's language,
    even when the English half names Vietnamese places (which core.lang.pick would take for Vietnamese)."""
    vi, sep, en = message.partition(" / ")
    return (en if is_english() else vi) if sep else message


def _kept(request, papers: list[str], key: str) -> list[dict]:
    """The papers that arrived with a refused submission (the address needs a choice, a field is missing) and passed
    the checks, kept as finished uploads under the form's key so the citizen does not send them again — with or
    without JavaScript."""
    kept = []
    for i, paper in enumerate(papers):
        for f in request.FILES.getlist(f"paper-{i}"):
            f.seek(0)
            upload = online.Upload(paper, f.name, f.read())
            try:
                online.check_file(upload)
                session = uploads.keep(request.user, key=key, upload=upload)
            except (online.Refused, uploads.UploadError, RuntimeError):
                continue
            kept.append({"index": i, "id": session.pk, "name": session.name})
        for upload_id in request.POST.getlist(f"upload-{i}"):
            try:
                session = uploads.get(request.user, upload_id)
            except uploads.UploadError:
                continue
            if session.key == key and session.complete:
                kept.append({"index": i, "id": session.pk, "name": session.name})
    return kept


def _procedure(code) -> Procedure:
    procedure = (Procedure.objects.filter(active=True, code=code).first()
                 or Procedure.objects.filter(active=True, national_code=code).order_by("pk").first())
    if procedure is None:
        raise Http404
    return procedure


@login_required
def submit_view(request, code):
    """The procedure's submission page: its e-form (dossiers.eform), the applicant's contact and address (old names
    answer through the lineage; a split commune asks which ward), its papers. One key per opened form: a POST sent
    twice, or again after a cut connection, returns the dossier the first one made."""
    procedure = _procedure(code)
    papers = [p["name"] for p in procedure.papers]
    key = (request.POST.get("key") or "")[:64] or uuid.uuid4().hex
    form = eform.build_form(procedure, request.POST if request.method == "POST" else None)
    context = {"p": procedure, "papers": papers, "key": key, "values": request.POST, "choices": [], "error": "",
               "eform": form, "paper_rows": [{"index": i, "name": paper, "kept": []} for i, paper in enumerate(papers)]}
    if request.method == "POST":
        try:
            # Sent again after it went through (a double click, a retry after a cut): the dossier it made, before
            # anything else is looked at (its uploads have become the dossier's files by now).
            done = online.done_for(key, online.id_hash_of(request.user))
            if done is not None:
                return redirect("dossiers:my-dossier-done", pk=done.pk)
            if not form.is_valid():
                raise online.Refused(eform.errors_text(form))
            dossier = online.submit(
                key=key, citizen_id_hash=online.id_hash_of(request.user),
                applicant_name=request.POST.get("applicant_name", "").strip()[:200], procedure=procedure,
                place=request.POST.get("place", "").strip()[:300], ward_code=request.POST.get("ward", ""),
                phone=request.POST.get("phone", "").strip()[:20], email=request.POST.get("email", "").strip()[:254],
                address=request.POST.get("address", "")[:500], form_data=eform.answers(procedure, form),
                files=_uploads(request, papers, key))
            uploads.discard(key)   # committed: the papers are the dossier's files now
            return redirect("dossiers:my-dossier-done", pk=dossier.pk)
        except online.Refused as exc:
            context["error"] = one_language(str(exc))
            kept = _kept(request, papers, key)
            context["paper_rows"] = [{**row, "kept": [k for k in kept if k["index"] == row["index"]]}
                                     for row in context["paper_rows"]]
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
                      {"dossiers": citizen.my_dossiers(request.user), "error": one_language(str(exc))}, status=400)
    return redirect("dossiers:my-dossiers")


@login_required
def my_result_view(request, pk, file_pk):
    dossier = _mine(request, pk)
    result = get_object_or_404(dossier.files, pk=file_pk, paper=citizen.RESULT_PAPER)
    return FileResponse(result.file.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=result.name)


# ---- resumable uploads: the tus 1.0.0 protocol (dossiers/uploads.py) ------------------------------------------

def _tus(response, status=None):
    response["Tus-Resumable"] = uploads.VERSION
    response["Cache-Control"] = "no-store"
    if status is not None:
        response.status_code = status
    return response


def _tus_error(exc: uploads.UploadError):
    return _tus(HttpResponse(str(exc), content_type="text/plain; charset=utf-8"), exc.status)


def _tus_guard(request):
    if not request.user.is_authenticated:
        return _tus(HttpResponse("Cần đăng nhập / sign in first", content_type="text/plain; charset=utf-8"), 401)
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != uploads.VERSION:
        response = _tus(HttpResponse("Tus-Resumable 1.0.0", content_type="text/plain"), 412)
        response["Tus-Version"] = uploads.VERSION
        return response
    return None


def _options():
    response = _tus(HttpResponse(status=204))
    response["Tus-Version"] = uploads.VERSION
    response["Tus-Extension"] = uploads.EXTENSIONS
    response["Tus-Max-Size"] = str(online.MAX_BYTES)
    return response


def tus_create_view(request):
    """POST: a new upload (Upload-Length, Upload-Metadata: filename, paper, key) → 201 with its Location."""
    if request.method == "OPTIONS":
        return _options()
    if (refused := _tus_guard(request)) is not None:
        return refused
    if request.method != "POST":
        return _tus(HttpResponse(status=405))
    try:
        meta = uploads.parse_metadata(request.headers.get("Upload-Metadata", ""))
        length = request.headers.get("Upload-Length", "")
        if not length.isdigit():
            raise uploads.UploadError("thiếu Upload-Length / Upload-Length missing")
        session = uploads.create(request.user, key=meta.get("key", ""), paper=meta.get("paper", ""),
                                 name=meta.get("filename", ""), length=int(length))
    except uploads.UploadError as exc:
        return _tus_error(exc)
    response = _tus(HttpResponse(status=201))
    response["Location"] = request.build_absolute_uri(reverse("dossiers:upload", args=[session.pk]))
    response["Upload-Offset"] = "0"
    return response


def tus_upload_view(request, upload_id):
    """HEAD: where the upload stands; PATCH: the next bytes at Upload-Offset; DELETE: give it up."""
    if request.method == "OPTIONS":
        return _options()
    if (refused := _tus_guard(request)) is not None:
        return refused
    try:
        if request.method == "HEAD":
            session = uploads.get(request.user, upload_id)
            response = _tus(HttpResponse(status=200))
            response["Upload-Offset"], response["Upload-Length"] = str(session.offset), str(session.length)
            return response
        if request.method == "PATCH":
            if request.content_type != "application/offset+octet-stream":
                return _tus(HttpResponse("Content-Type: application/offset+octet-stream", status=415))
            offset = request.headers.get("Upload-Offset", "")
            if not offset.isdigit():
                raise uploads.UploadError("thiếu Upload-Offset / Upload-Offset missing")
            length = request.headers.get("Content-Length", "")
            new = uploads.append(request.user, upload_id, int(offset), request,
                                 int(length) if length.isdigit() else None)
            response = _tus(HttpResponse(status=204))
            response["Upload-Offset"] = str(new)
            return response
        if request.method == "DELETE":
            uploads.terminate(request.user, upload_id)
            return _tus(HttpResponse(status=204))
    except uploads.UploadError as exc:
        return _tus_error(exc)
    return _tus(HttpResponse(status=405))
