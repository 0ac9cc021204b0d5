from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.encoding import escape_uri_path

from hopnhat.org.access import staff_required

from .api import MappingError, decide
from .forms import DecideForm
from .queue import pending, visible_mappings
from .resolve import outcome_for, site_for_host
from .serving import respond


def preview(request, host: str, path: str = ""):
    """The old host's answer before its DNS points at us (GOV.UK's "AKA" hosts, as a path)."""
    site = site_for_host(host)
    if site is None:
        raise Http404("không phải trang cũ đã đăng ký / not a registered old host")
    outcome = outcome_for(site, escape_uri_path("/" + path), request.META.get("QUERY_STRING", ""))
    # The person previewing is on this portal already: a path target stays on the address they reached it by,
    # whatever HOPNHAT_BASE_URL says (a demo on another port, a staff tunnel).
    outcome.base = request.build_absolute_uri("/")
    return respond(request, outcome)


@staff_required
def queue(request):
    rows = pending(request.user)[:200]
    return TemplateResponse(request, "crosswalk/queue.html", {"rows": rows, "form": DecideForm()})


@staff_required
def decide_view(request, pk: int):
    mapping = get_object_or_404(visible_mappings(request.user), pk=pk)
    form = DecideForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decide(mapping.site, mapping.pattern, actor=request.user,
                   action="crosswalk.mapping.decide", type=data["type"], target_url=data["target_url"],
                   archive_url=data["archive_url"], notes=data["notes"])
        except MappingError as exc:
            error = str(exc)
        else:
            return redirect("crosswalk:queue")
    return TemplateResponse(request, "crosswalk/decide.html", {"mapping": mapping, "form": form, "error": error},
                            status=400 if error or form.errors else 200)
