"""Staff pages of the inventory: thin wrappers around scope, scoring, decisions, status, spreadsheet and plan."""

import io
from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry
from hopnhat.core.text import fold
from hopnhat.org.access import is_platform_admin, staff_required, visible_agencies

from . import decisions, plan, scoring, spreadsheet, status
from .forms import DecisionForm, ImportForm, OldSystemForm, WeightsForm
from .models import Decision, OldSystem, SystemType, new_unit_by_code
from .scope import EDITOR_ROLES, can_register, editable_systems, visible_systems

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_required
def system_list(request):
    systems = visible_systems(request.user)
    filters = {key: request.GET.get(key, "").strip() for key in ("unit", "type", "decision", "q")}
    if filters["unit"]:
        systems = systems.filter(new_unit__code=filters["unit"])
    if filters["type"]:
        systems = systems.filter(system_type=filters["type"])
    if filters["decision"]:
        systems = systems.filter(decision=filters["decision"])
    if filters["q"]:
        systems = systems.filter(name_key__contains=fold(filters["q"])) | systems.filter(code__contains=filters["q"])
    return render(request, "inventory/list.html", {
        "systems": systems, "filters": filters, "types": SystemType.choices, "decisions": Decision.choices,
        "units": status.units_with_systems(visible_systems(request.user)),
        "duplicates": [g for g in scoring.duplicates(visible_systems(request.user)) if not g.resolved],
        "can_edit": visible_agencies(request.user, EDITOR_ROLES).exists(),
    })


def _visible(request, code) -> OldSystem:
    return get_object_or_404(visible_systems(request.user), code=code)


@staff_required
def system_detail(request, code):
    system = _visible(request, code)
    history = AuditEntry.objects.filter(object_type=system._meta.label_lower, object_pk=str(system.pk))
    return render(request, "inventory/detail.html", {
        "system": system, "history": history.order_by("-seq"), "totals": status.engine_totals(system.code),
        "can_edit": editable_systems(request.user).filter(pk=system.pk).exists(),
    })


@staff_required
def system_edit(request, code=None):
    system = get_object_or_404(editable_systems(request.user), code=code) if code else None
    if system is None and not visible_agencies(request.user, EDITOR_ROLES).exists():
        raise PermissionDenied
    form = OldSystemForm(request.POST or None, instance=system, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit.record(request.user, "inventory.edit" if system else "inventory.create", saved,
                         code=saved.code, changed=form.changed_data)
        messages.success(request, "Đã lưu / saved")
        return redirect("inventory:detail", code=saved.code)
    return render(request, "inventory/form.html", {"form": form, "system": system})


@staff_required
def assess(request, unit_code, system_type):
    if system_type not in SystemType.values:
        raise Http404
    try:
        unit = new_unit_by_code(unit_code)
    except LookupError:
        raise Http404 from None
    visible = visible_systems(request.user).filter(new_unit=unit, system_type=system_type)
    if not visible.exists():
        raise Http404
    editable = editable_systems(request.user).filter(new_unit=unit, system_type=system_type)
    form = DecisionForm(request.POST or None, candidates=editable)
    if request.method == "POST":
        if not editable.exists():
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                decisions.decide(data["system"], data["decision"], actor=request.user, rationale=data["rationale"],
                                 into=data["into"], wave=data["wave"], planned_start=data["planned_start"],
                                 planned_end=data["planned_end"])
            except decisions.DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Đã ghi quyết định / decision recorded")
                return redirect("inventory:assess", unit_code=unit.code, system_type=system_type)
    return render(request, "inventory/assess.html", {
        "unit": unit, "system_type": SystemType(system_type), "scores": scoring.score_systems(list(visible)),
        "weights": scoring.current_weights(), "form": form, "can_edit": editable.exists(),
    })


@staff_required
def weights(request):
    current = scoring.current_weights()
    form = WeightsForm(request.POST or None, weights=current)
    if request.method == "POST":
        if not is_platform_admin(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                scoring.set_weights(form.cleaned_data, request.user)
            except scoring.WeightError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Đã lưu trọng số / weights saved")
                return redirect("inventory:weights")
    return render(request, "inventory/weights.html", {"form": form, "can_edit": is_platform_admin(request.user)})


@staff_required
def dashboard(request):
    systems = visible_systems(request.user)
    units = status.units_with_systems(systems)
    if request.GET.get("unit"):
        units = units.filter(code=request.GET["unit"])
    return render(request, "inventory/dashboard.html", {
        "dashboards": [status.unit_dashboard(unit, systems) for unit in units],
    })


@staff_required
def export_plan(request):
    buffer = io.BytesIO()
    plan.write_plan(buffer, visible_systems(request.user))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ke-hoach-hop-nhat-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@staff_required
def template(request):
    buffer = io.BytesIO()
    spreadsheet.write_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-ra-soat-he-thong.xlsx"'
    return response


@staff_required
def import_register(request):
    if not visible_agencies(request.user, EDITOR_ROLES).exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = spreadsheet.import_register(upload, actor=request.user, dry_run=form.cleaned_data["dry_run"],
                                                 name=upload.name,
                                                 may_register=partial(can_register, request.user))
        except spreadsheet.ImportFileError as exc:
            form.add_error("file", str(exc))
    return render(request, "inventory/import.html", {"form": form, "report": report})
