"""Staff pages of the engine: the duplicate review queue (approve merge / keep separate), the migration runs with
their reports, and the quarantine queue (fix a value map, a crosswalk entry or a value; re-run those records)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hopnhat.org.access import filter_visible, is_platform_admin, visible_agencies
from hopnhat.org.models import Role

from . import quarantine, reconciliation, review
from .models import MigrationRun, OverrideKind, ReviewItem, ReviewStatus, StagedRecord

DECIDERS = {Role.UNIT_ADMIN, Role.PLATFORM_ADMIN}


def _decidable(user):
    """Pairs the user may decide: platform administrators all, unit administrators those of their agencies."""
    return filter_visible(ReviewItem.objects.select_related("left_type", "right_type", "agency"), user,
                          agency_field="agency", roles=DECIDERS)


def may_review(user) -> bool:
    """Who may open the duplicate review (and sees it in the menu): platform and unit administrators."""
    return is_platform_admin(user) or visible_agencies(user, DECIDERS).exists()


@login_required
def review_list(request):
    if not may_review(request.user):
        raise PermissionDenied("cần quyền quản trị đơn vị / unit administrators only")
    items = _decidable(request.user)
    pending = items.filter(status=ReviewStatus.PENDING)
    decided = items.exclude(status=ReviewStatus.PENDING).order_by("-decided_at")[:20]
    return render(request, "consolidation/review_list.html", {
        "pending": [(item, item.left, item.right) for item in pending[:200]], "decided": decided,
        "pending_count": pending.count()})


@login_required
@require_POST
def review_decide(request, pk):
    item = get_object_or_404(_decidable(request.user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        review.decide(item, decision, request.user)
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Đã ghi quyết định / decision recorded")
    return redirect("consolidation:review")


# -- runs, reports and the quarantine queue ----------------------------------------------------------------------


def _systems(user) -> set[str] | None:
    """The old systems whose runs and quarantine the user may see and resolve: every one for platform
    administrators (None), else those the register lets them edit (inventory.scope.editable_systems, built on
    org.access: the owning agency, or the new unit the system will serve, under their unit-admin role)."""
    if is_platform_admin(user):
        return None
    from .inventory.scope import editable_systems

    if not visible_agencies(user, DECIDERS).exists():
        raise PermissionDenied("cần quyền quản trị đơn vị / unit administrators only")
    return set(editable_systems(user).values_list("code", flat=True))


def _allowed(user, system: str) -> None:
    systems = _systems(user)
    if systems is not None and system not in systems:
        raise PermissionDenied("hệ thống ngoài phạm vi quản trị / a system outside your scope")


@login_required
def run_list(request):
    systems = _systems(request.user)
    runs = MigrationRun.objects.all()
    if systems is not None:
        runs = runs.filter(system__in=systems)
    if request.GET.get("system"):
        runs = runs.filter(system=request.GET["system"])
    rows = []
    for run in runs.order_by("-id")[:200]:
        waiting = StagedRecord.objects.filter(last_run=run, outcome="quarantined", source_deleted=False).count()
        rows.append((run, reconciliation.verdict(run.balanced, waiting) if run.balanced is not None else None))
    return render(request, "consolidation/run_list.html", {"rows": rows, "system": request.GET.get("system", "")})


@login_required
def run_report(request, pk):
    """The run's reconciliation report, served to staff (the same page as var/reports/run-<id>.html)."""
    run = get_object_or_404(MigrationRun, pk=pk)
    _allowed(request.user, run.system)
    result = reconciliation.reconcile_run(run)
    queue = reverse("consolidation:quarantine") + "?" + urlencode({"run": run.pk})
    return HttpResponse(reconciliation.render_report(result, queue_url=queue, request=request))


def _queue_filters(request) -> dict:
    run = request.GET.get("run", "")
    return {"system": request.GET.get("system", ""), "stream": request.GET.get("stream", ""),
            "run": int(run) if run.isascii() and run.isdigit() else None}


@login_required
def quarantine_list(request):
    systems = _systems(request.user)
    filters = _queue_filters(request)
    entries = quarantine.listing(filters["system"] or None, run=filters["run"], stream=filters["stream"] or None)
    if systems is not None:
        entries = [e for e in entries if e["system"] in systems]
    groups: dict[tuple[str, str], list] = {}
    for entry in entries[:500]:
        groups.setdefault((entry["system"], entry["stream"]), []).append(entry)
    resolved = [e for e in quarantine.resolved_entries(filters["system"] or None, limit=50)
                if systems is None or e.data.get("system") in systems][:20]
    return render(request, "consolidation/quarantine_list.html", {
        "groups": [(system, stream, items) for (system, stream), items in groups.items()], "total": len(entries),
        "filters": filters, "resolved": resolved, "crosswalks": ["agency", "unit"]})


def _back(request, record):
    return redirect(request.POST.get("next") or reverse("consolidation:quarantine") + "?" + urlencode(
        {"system": record.system, "stream": record.stream}))


@login_required
@require_POST
def quarantine_fix(request, pk):
    """One fix for one quarantined record: a value-map entry, a crosswalk entry or a corrected value (with a
    note); with rerun=1, the record is handed to its importer again at once."""
    record = get_object_or_404(StagedRecord, pk=pk, outcome="quarantined")
    _allowed(request.user, record.system)
    post = request.POST
    try:
        fix = post.get("fix", "")
        if fix == "value_map":
            quarantine.add_entry(record.system, record.stream, OverrideKind.VALUE_MAP, post.get("name", ""),
                                 post.get("source", ""), post.get("target", ""), actor=request.user,
                                 note=post.get("note", ""))
        elif fix == "crosswalk":
            quarantine.add_entry(record.system, record.stream, OverrideKind.CROSSWALK, post.get("name", ""),
                                 post.get("source", ""), post.get("target", ""), actor=request.user,
                                 note=post.get("note", ""))
        elif fix == "correct":
            quarantine.correct_value(record, post.get("column", ""), post.get("value", ""), actor=request.user,
                                     note=post.get("note", ""))
        elif fix != "rerun":
            raise quarantine.QuarantineError("không rõ cách sửa / unknown fix")
        if fix == "rerun" or post.get("rerun"):
            result = quarantine.rerun(record.system, record.stream, [record.key], actor=request.user)
            if result["resolved"]:
                messages.success(request, f"Đã xử lý xong bản ghi {record.key} (lượt #{result['run']}) / record "
                                          f"{record.key} resolved (run #{result['run']})")
            else:
                messages.warning(request, f"Vẫn cách ly / still quarantined: {result['still'][0]['reason']}")
        else:
            messages.success(request, "Đã ghi cách sửa; chạy lại để áp dụng / fix saved; re-run to apply it")
    except quarantine.QuarantineError as exc:
        messages.error(request, str(exc))
    return _back(request, record)


@login_required
@require_POST
def quarantine_rerun(request):
    """Re-run every open quarantined record of one system's stream (after fixes that serve many)."""
    system, stream = request.POST.get("system", ""), request.POST.get("stream", "")
    _allowed(request.user, system)
    keys = list(quarantine.open_records(system, stream=stream).values_list("key", flat=True))
    try:
        result = quarantine.rerun(system, stream, keys, actor=request.user)
    except (quarantine.QuarantineError, LookupError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Lượt #{result['run']}: {len(result['resolved'])} bản ghi đã xử lý xong, "
                                  f"{len(result['still'])} còn chờ / {len(result['resolved'])} resolved, "
                                  f"{len(result['still'])} still waiting")
    return redirect(reverse("consolidation:quarantine") + "?" + urlencode({"system": system, "stream": stream}))
