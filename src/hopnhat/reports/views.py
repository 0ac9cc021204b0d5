"""Staff pages: catalogue and collection status, a form (web entry, Excel template, upload), series charts.
Thin: the work is in collection, series and charts."""

import tempfile
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from hopnhat.core.templatetags.hopnhat import is_english
from hopnhat.org.access import can_act_on, filter_visible, is_staff_member, visible_agencies
from hopnhat.org.models import AdminUnit

from . import charts, collection, periods, series
from .models import Form, Indicator, Regime, Report


def t(vi: str, en: str) -> str:
    return en if is_english() else vi


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied(t("Chỉ dành cho cán bộ", "Staff only"))
        return view(request, *args, **kwargs)
    return wrapped


@staff_required
def index_view(request):
    reports = filter_visible(Report.objects.select_related("form", "agency"), request.user).order_by(
        "-period", "form__code", "agency__name", "-version")[:200]
    return render(request, "reports/index.html", {
        "regimes": Regime.objects.all(), "indicators": Indicator.objects.all(),
        "forms": Form.objects.select_related("regime"), "reports": reports,
        "overdue": collection.overdue(user=request.user), "today": timezone.localdate(),
        "agencies": visible_agencies(request.user).order_by("name")[:100]})


@staff_required
def series_view(request, indicator, unit_id):
    ind = get_object_or_404(Indicator, code=indicator)
    unit = get_object_or_404(AdminUnit, pk=unit_id)
    start = int(request.GET.get("from", 2023))
    end = int(request.GET.get("to", 2026))
    kind = request.GET.get("kind") or None
    merged = series.as_merged(ind, unit, start, end, kind)
    reported = series.as_reported(ind, unit, start, end, kind)
    preds = series.weights(unit)
    title = f"{ind.name} — {unit.name}"
    return render(request, "reports/series.html", {
        "indicator": ind, "unit": unit, "merged": merged, "reported": reported, "predecessors": preds,
        "chart": mark_safe(charts.series_svg(merged, reported, title=title)),  # noqa: S308 — built with escape()
        "rows": [(p, next((r for r in reported if r.period == p.period), None)) for p in merged]})


def _period_or_404(code):
    try:
        return periods.parse(code)
    except periods.PeriodError as exc:
        raise Http404(str(exc)) from exc


@staff_required
def form_view(request, form, agency_id, period):
    the_form = get_object_or_404(Form, code=form)
    agency = get_object_or_404(visible_agencies(request.user), pk=agency_id)
    p = _period_or_404(period)
    report = Report.objects.filter(form=the_form, agency=agency, period=p.code).order_by("-version").first()
    result, status = None, 200
    if request.method == "POST":
        if not can_act_on(request.user, agency):
            raise PermissionDenied
        try:
            if request.FILES.get("file"):
                with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
                    for chunk in request.FILES["file"].chunks():
                        tmp.write(chunk)
                    tmp.flush()
                    result = collection.import_upload(the_form, agency, p.code, tmp.name, request.user)
            else:
                figures, problems = {}, []
                for row in the_form.rows.select_related("indicator"):
                    key = collection._key(row.indicator.code, row.disaggregation)
                    try:
                        figures[key] = collection.parse_number(request.POST.get(key, ""))
                    except ValueError:
                        problems.append(collection.Problem("number", f"“{request.POST.get(key)}” không phải số / "
                                                                     "not a number",
                                                           collection.cell_of(the_form, row.indicator.code,
                                                                              row.disaggregation)))
                if problems:
                    result = collection.Result(report, problems, [])
                else:
                    opened = collection.open_report(the_form, agency, p.code, request.user)
                    result = collection.fill(opened, figures, request.user)
        except collection.CollectionError as exc:
            result = collection.Result(report, [collection.Problem("workflow", str(exc))], [])
        if result.ok:
            return redirect("reports:form", form=the_form.code, agency_id=agency.pk, period=p.code)
        status = 400
    values = {}
    if report:
        values = {f"{v.indicator.code}{'|' + v.disaggregation if v.disaggregation else ''}": v.value
                  for v in report.values.select_related("indicator")}
    rows = [{"key": collection._key(r.indicator.code, r.disaggregation), "row": r,
             "cell": collection.cell_of(the_form, r.indicator.code, r.disaggregation),
             "value": collection.format_number(values.get(collection._key(r.indicator.code, r.disaggregation)))}
            for r in the_form.rows.select_related("indicator")]
    versions = Report.objects.filter(form=the_form, agency=agency, period=p.code).order_by("version")
    return render(request, "reports/form.html", {
        "form": the_form, "agency": agency, "period": p, "period_label": p.label("en" if is_english() else "vi"),
        "report": report, "rows": rows, "result": result, "versions": versions}, status=status)


@staff_required
def template_view(request, form, agency_id, period):
    the_form = get_object_or_404(Form, code=form)
    agency = get_object_or_404(visible_agencies(request.user), pk=agency_id)
    p = _period_or_404(period)
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{the_form.code}-{agency.code}-{p.code}.xlsx"'
    collection.template(the_form, agency, p.code).save(response)
    return response


@staff_required
@require_POST
def act_view(request, pk, action):
    report = get_object_or_404(filter_visible(Report.objects.all(), request.user), pk=pk)
    if action not in ("submit", "review", "approve", "return"):
        raise Http404
    try:
        collection.move(report, action, request.user, note=request.POST.get("note", ""))
    except collection.CollectionError as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("reports:form", form=report.form.code, agency_id=report.agency_id, period=report.period)
