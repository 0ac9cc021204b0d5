"""Thin views: the public/staff directory (/danh-ba/) and the staff pages of addresses and forwards (/thu/). They
parse input, check who asks (org.access) and call directory / addresses / forwards."""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language

from hopnhat.org.access import filter_visible, is_staff_member
from hopnhat.org.models import Agency

from . import addresses, directory, forwards
from .models import Mailbox, OldAddress


def _lang() -> str:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def directory_home(request):
    audience = directory.audience_for(request.user)
    query = (request.GET.get("q") or "").strip()[:200]
    found = directory.search(query, audience) if query else None
    roots = directory.tree(directory.agencies()) if not query else []
    return render(request, "mail/directory.html", {"query": query, "found": found, "roots": roots,
                                                   "staff": audience is directory.Audience.STAFF, "lang": _lang()})


def directory_agency(request, pk: int):
    agency = get_object_or_404(Agency, pk=pk)
    audience = directory.audience_for(request.user)
    entries = directory.agencies(agency)
    if not entries:
        raise Http404
    members = [p for p in directory.people(audience, agency=agency) if p.agency_pk == agency.pk]
    return render(request, "mail/directory_agency.html", {
        "agency": entries[0], "children": [e for e in entries if e.parent_pk == agency.pk], "people": members,
        "staff": audience is directory.Audience.STAFF, "lang": _lang()})


def _vcard_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.vcf"'
    return response


def agency_vcard(request, pk: int):
    entries = directory.agencies(get_object_or_404(Agency, pk=pk))
    if not entries:
        raise Http404
    return _vcard_response(directory.vcard_agency(entries[0]), f"co-quan-{pk}")


def person_vcard(request, pk: int):
    if not is_staff_member(request.user):
        raise PermissionDenied
    found = directory.people(directory.Audience.STAFF, person_ids=[pk])
    if not found:
        raise Http404
    return _vcard_response(directory.vcard_person(found[0]), f"can-bo-{pk}")


def _staff(request):
    if not request.user.is_authenticated:
        return redirect(f"/dang-nhap/?next={request.path}")
    if not is_staff_member(request.user):
        raise PermissionDenied
    return None


def staff_addresses(request):
    if (answer := _staff(request)) is not None:
        return answer
    error = ""
    if request.method == "POST":
        mailbox = get_object_or_404(filter_visible(Mailbox.objects.all(), request.user,
                                                   roles={"unit_admin", "platform_admin"}), pk=request.POST.get("id"))
        try:
            if request.POST.get("local_part"):
                addresses.set_local_part(mailbox, request.POST["local_part"], request.user)
            else:
                addresses.mark_reviewed(mailbox, request.user)
            return redirect("mail:addresses")
        except addresses.AddressError as exc:
            error = str(exc)
    query = (request.GET.get("q") or "").strip()
    rows = filter_visible(Mailbox.objects.select_related("agency", "person", "domain"), request.user)
    if query:
        rows = rows.filter(address__icontains=query.lower())
    editable = set(filter_visible(Mailbox.objects.all(), request.user, roles={"unit_admin", "platform_admin"})
                   .values_list("pk", flat=True))
    return render(request, "mail/staff_addresses.html", {
        "rows": rows.order_by("address")[:500], "editable": editable, "query": query, "error": error,
        "lang": _lang()})


def staff_forwards(request):
    if (answer := _staff(request)) is not None:
        return answer
    error = ""
    visible = filter_visible(OldAddress.objects.all(), request.user, agency_field="mailbox__agency")
    if request.method == "POST":
        old = get_object_or_404(filter_visible(OldAddress.objects.all(), request.user, agency_field="mailbox__agency",
                                               roles={"unit_admin", "platform_admin"}), pk=request.POST.get("id"))
        try:
            forwards.set_forward_until(old, datetime.date.fromisoformat(request.POST.get("until", "")), request.user)
            return redirect("mail:forwards")
        except ValueError:
            error = "Ngày phải có dạng YYYY-MM-DD / the date must be YYYY-MM-DD"
    expiring = request.GET.get("het-han")
    rows = forwards.forward_rows(visible, expiring_days=int(expiring) if expiring and expiring.isdigit() else None)
    ids = dict(visible.values_list("address", "pk"))
    for row in rows:
        row["id"] = ids[row["old"]]
    return render(request, "mail/staff_forwards.html", {"rows": rows, "error": error, "expiring": expiring or "",
                                                        "lang": _lang()})


def staff_migrations(request):
    """The mailbox migration reports (`hopnhat mail migrate` writes them): the newest shown, the others listed."""
    if (answer := _staff(request)) is not None:
        return answer
    from . import migrate

    reports = migrate.saved_reports()
    report = migrate.load_report(reports[0]["name"]) if reports else None
    return render(request, "mail/staff_migration.html", {"reports": reports, "report": report,
                                                         "name": reports[0]["name"] if reports else "",
                                                         "lang": _lang()})


def staff_migration(request, name: str):
    """One report: as a page, or its JSON / standalone HTML file (`…/<stamp>.json`, `…/<stamp>.html`)."""
    if (answer := _staff(request)) is not None:
        return answer
    from . import migrate

    stem, dot, ext = name.rpartition(".")
    path = migrate.report_path(stem or name, ext if dot else "json")
    if path is None:
        raise Http404
    if dot and ext == "json":
        return HttpResponse(path.read_bytes(), content_type="application/json; charset=utf-8")
    if dot and ext == "html":
        return HttpResponse(path.read_bytes(), content_type="text/html; charset=utf-8")
    return render(request, "mail/staff_migration.html", {"reports": migrate.saved_reports(),
                                                         "report": migrate.load_report(name), "name": name,
                                                         "lang": _lang()})
