"""Staff pages: catalogue and collection status, a form (web entry, Excel template, upload), series charts.
Thin: the work is in collection, series and charts."""

import tempfile
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from hopnhat.core.lang import percent, vi_en
from hopnhat.core.templatetags.hopnhat import is_english
from hopnhat.org.access import can_act_on, filter_visible, is_staff_member, visible_agencies
from hopnhat.org.models import AdminUnit, Level, UnitSuccession, Vintage

from . import charts, collection, compare, computed, exports, periods, series
from .models import Aggregation, DataValue, Form, Indicator, Regime, Report


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
    with_values = set(DataValue.objects.filter(is_current=True).values_list("indicator_id", flat=True).distinct())
    indicators = [(i, i.pk in with_values, computed.label(i.computed_from, is_english()))
                  for i in Indicator.objects.all()]
    across = []
    for indicator, has_values, _ in indicators:
        if has_values and not indicator.computed_from:
            provinces = [u for u in compare.candidates(indicator)
                         if u.vintage == Vintage.NEW and u.level == Level.PROVINCE][:5]
            if provinces:
                across.append((indicator, provinces))
    return render(request, "reports/index.html", {
        "regimes": Regime.objects.all(), "indicators": indicators, "across": across,
        "forms": Form.objects.select_related("regime"), "reports": reports,
        "overdue": collection.overdue(user=request.user), "today": timezone.localdate(),
        "agencies": visible_agencies(request.user).order_by("name")[:100]})


class BadRequest(ValueError):
    """A query parameter that cannot be read; the message names it."""


def _years_and_kind(request) -> tuple[int, int, str | None]:
    years = []
    for name, default in (("from", 2023), ("to", 2026)):
        raw = request.GET.get(name) or str(default)
        if not (raw.isdigit() and 1990 <= int(raw) <= 2100):
            raise BadRequest(t(f"{name}: “{raw}” không phải năm (1990–2100)",
                               f"{name}: “{raw}” is not a year (1990–2100)"))
        years.append(int(raw))
    if years[0] > years[1]:
        raise BadRequest(t("from phải không sau to", "from must not be after to"))
    kind = request.GET.get("kind") or None
    if kind not in (None, "M", "Q", "H", "N", "Y"):
        raise BadRequest(t(f"kind: “{kind}” không phải M, Q, H, N hoặc Y", f"kind: “{kind}” is not M, Q, H, N or Y"))
    return years[0], years[1], kind


def _bad_request(request, message):
    return render(request, "reports/bad_request.html", {"message": message}, status=400)


@staff_required
def series_view(request, indicator, unit_id):
    ind = get_object_or_404(Indicator, code=indicator)
    unit = get_object_or_404(AdminUnit, pk=unit_id)
    try:
        start, end, kind = _years_and_kind(request)
    except BadRequest as exc:
        return _bad_request(request, str(exc))
    merged = series.as_merged(ind, unit, start, end, kind)
    reported = series.as_reported(ind, unit, start, end, kind)
    english = is_english()
    preds = [(u, percent(w), charts.method_label(m, english)) for u, w, m in series.weights(unit)]
    title = f"{ind.name} — {unit.name}"
    area, area_chart = [], ""
    if unit.level == Level.PROVINCE and unit.vintage == Vintage.NEW and ind.aggregation == Aggregation.SUM:
        # The province from its wards: old wards before the reform (split ones shared out), new wards after.
        area = series.as_merged_area(ind, unit, start, end, kind)
        if any(p.estimated for p in area):
            area_chart = charts.series_svg(area, (), title=f"{title} ({t('tổng hợp từ cấp xã', 'from the communes')})",
                                           english=english)
        else:
            area = []
    return render(request, "reports/series.html", {
        "indicator": ind, "unit": unit, "merged": merged, "reported": reported, "predecessors": preds,
        "chart": mark_safe(charts.series_svg(merged, reported, title=title,  # noqa: S308 — built with escape()
                                             english=english)),
        "area_chart": mark_safe(area_chart),  # noqa: S308 — built with escape()
        "area_rows": [_row(p, english) for p in area],
        "rows": [_row(p, english) | {"reported": charts.figure(r.value) if r else ""}
                 for p, r in ((p, next((r for r in reported if r.period == p.period), None)) for p in merged)],
        "from": start, "to": end, "compare_query": _compare_query(ind, unit, start, end)})


def _compare_query(ind, unit, start, end) -> str:
    """The unit with the other units its split predecessors went into (siblings of a split), to compare."""
    pool = {u.pk for u in compare.candidates(ind)}
    split_from = [u for u, _, m in series.weights(unit) if m != "whole"]
    siblings = [pk for pk in UnitSuccession.objects.filter(predecessor__in=split_from, successor__level=unit.level)
                .exclude(successor=unit).order_by("successor__name").values_list("successor_id", flat=True)
                .distinct() if pk in pool]
    units = [unit.pk] + siblings[:compare.MAX_UNITS - 1]
    return "&".join([f"from={start}", f"to={end}"] + [f"u={pk}" for pk in units if pk in pool or pk == unit.pk])


def _row(p, english: bool) -> dict:
    return {"period": p.period, "value": charts.figure(p.value), "estimated": p.estimated,
            "estimated_value": charts.figure(p.estimated_value) if p.estimated else "",
            "methods": ", ".join(charts.method_label(m, english) for m in p.methods),
            "parts": [{"unit": part.unit, "weight": percent(part.weight), "value": charts.figure(part.value),
                       "method": charts.method_label(part.method, english)} for part in p.parts]}


SDMX_FORMATS = {"sdmx-ml": ("data.xml", "application/vnd.sdmx.genericdata+xml;version=2.1"),
                "sdmx-structure": ("structure.xml", "application/vnd.sdmx.structure+xml;version=2.1")}


@staff_required
def compare_view(request, indicator):
    """Units side by side for one indicator, as merged and as reported; ?format=csv|json|sdmx-ml|sdmx-structure|
    sdmx-csv downloads the same comparison."""
    ind = get_object_or_404(Indicator, code=indicator)
    try:
        start, end, kind = _years_and_kind(request)
        pool = compare.candidates(ind)
        by_pk = {str(u.pk): u for u in pool}
        asked = request.GET.getlist("u")
        unknown = [v for v in asked if v not in by_pk]
        if unknown:
            raise BadRequest(t(f"u: đơn vị {', '.join(unknown)} không có số liệu của chỉ tiêu {ind.code}",
                               f"u: unit {', '.join(unknown)} has no figures of indicator {ind.code}"))
        units = [by_pk[v] for v in dict.fromkeys(asked)] or compare.default_units(pool)
        if len(units) > compare.MAX_UNITS:
            raise BadRequest(t(f"u: so sánh tối đa {compare.MAX_UNITS} đơn vị, đã chọn {len(units)}",
                               f"u: compare at most {compare.MAX_UNITS} units; {len(units)} chosen"))
    except BadRequest as exc:
        return _bad_request(request, str(exc))
    fmt = request.GET.get("format", "")
    if not units:
        result = None
    else:
        result = compare.comparison(ind, units, start, end, kind)
    stem = f"{ind.code}-so-sanh-{start}-{end}"
    if fmt and result is None:
        return _bad_request(request, t("chưa có đơn vị nào để so sánh", "no unit to compare yet"))
    if fmt == "json":
        return JsonResponse(result.as_dict(), json_dumps_params={"ensure_ascii": False})
    if fmt == "csv":
        response = HttpResponse(result.csv_text(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if fmt in SDMX_FORMATS:
        name, mime = SDMX_FORMATS[fmt]
        response = HttpResponse(exports.to_sdmx_ml([ind], units, start, end, kind)[name], content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="{stem}-{name}"'
        return response
    if fmt == "sdmx-csv":
        with tempfile.TemporaryDirectory() as folder:
            path = f"{folder}/data.csv"
            exports.to_sdmx_csv([ind], units, start, end, path, kind)
            with open(path, "rb") as fh:
                body = fh.read()
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}-sdmx.csv"'
        return response
    if fmt:
        return _bad_request(request, t(f"format: “{fmt}” không có; chọn csv, json, sdmx-ml, sdmx-structure, sdmx-csv",
                                       f"format: “{fmt}” is unknown; choose csv, json, sdmx-ml, sdmx-structure, "
                                       "sdmx-csv"))
    english = is_english()
    chart = ""
    if result is not None:
        chart = charts.compare_svg(result.periods, [{"name": line.unit.name, "color": line.color,
                                                     "merged": line.merged, "reported": line.reported}
                                                    for line in result.lines],
                                   title=f"{ind.name}: {', '.join(u.name for u in units)}", english=english)
    chosen = {u.pk for u in units}
    query = "&".join([f"from={start}", f"to={end}"] + ([f"kind={kind}"] if kind else [])
                     + [f"u={u.pk}" for u in units])
    return render(request, "reports/compare.html", {
        "indicator": ind, "result": result, "from": start, "to": end, "kind": kind or "",
        "chart": mark_safe(chart),  # noqa: S308 — built with escape()
        "pool": [(u, u.pk in chosen) for u in pool], "max_units": compare.MAX_UNITS, "query": query,
        "cols": 1 + 2 * len(units), "old_vintage": Vintage.OLD.value,
        "rows": [] if result is None else [
            {"period": row["period"], "cells": [
                {"merged": charts.figure(m.value) if m else "", "estimated": bool(m and m.estimated),
                 "estimated_value": charts.figure(m.estimated_value) if m and m.estimated else "",
                 "reported": charts.figure(r.value) if r else ""} for m, r in row["cells"]]}
            for row in result.table()]})


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
    actions = [(name, label) for name, label in ACTIONS.items()
               if report is not None and report.status in collection._MOVES[name][0]]
    return render(request, "reports/form.html", {
        "form": the_form, "agency": agency, "period": p, "period_label": p.label("en" if is_english() else "vi"),
        "report": report, "rows": rows, "result": result, "versions": versions, "actions": actions},
        status=status)


# The steps a version can take from where it stands (collection._MOVES says from which states; it checks who).
ACTIONS = {"submit": vi_en("Gửi báo cáo", "Submit"), "review": vi_en("Xem xét xong", "Mark reviewed"),
           "approve": vi_en("Duyệt", "Approve"), "return": vi_en("Trả lại để sửa", "Return for correction")}


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
