"""Collection: one agency fills one form for one period, on the web or in the Excel template, and the figures go
submit → review → approve. This module owns every write to Report and DataValue.

    parse_number("1.234,5") -> Decimal       Vietnamese separators (also plain 1234.5 and numbers Excel typed)
    format_number(Decimal) -> "1.234,5"
    open_report(form, agency, period, actor) -> Report       the current draft, or a new version after approval
    fill(report, {(indicator_code, disaggregation): value}, actor) -> Result   validates, stores, keeps warnings
    template(form, agency, period) -> Workbook               the Excel template to fill
    read_upload(form, path) -> dict                          figures from a filled template; errors name the cell
    submit / review / approve / return_report                audited, checked with org.access
    overdue(today) -> list[dict]                             reports past their due date, per agency
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.org import access
from hopnhat.org.models import Agency, Role

from . import periods
from .models import DataValue, Form, PeriodType, Report, Status

if TYPE_CHECKING:   # openpyxl (and numpy under it) loads when a workbook is made or read, not at start-up
    from openpyxl import Workbook


class CollectionError(ValueError):
    pass


_VN_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$|^[+-]?\d+(,\d+)?$")


def parse_number(raw) -> Decimal | None:
    """'1.234,5' → 1234.5; '1234,5' → 1234.5; '1234.5' (a dot with other than three digits after) → 1234.5;
    numbers Excel stored as numbers pass through; '' / None → None. Raises ValueError on anything else."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int | float | Decimal):
        return Decimal(str(raw))
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if not text or text in {"-", "–"}:
        return None
    if _VN_NUMBER.match(text):
        return Decimal(text.replace(".", "").replace(",", "."))
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def format_number(value) -> str:
    if value is None:
        return ""
    value = Decimal(value).normalize()
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + ".".join(groups or ["0"]) + (f",{frac}" if frac and frac.strip("0") else "")


@dataclass
class Problem:
    rule: str
    message: str
    cell: str = ""
    severity: str = "error"  # error | warning

    def as_dict(self) -> dict:
        return {"rule": self.rule, "cell": self.cell, "message": self.message, "severity": self.severity}


@dataclass
class Result:
    report: Report | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"ok": self.ok, "report": report_dict(self.report) if self.report else None,
                "errors": [p.as_dict() for p in self.errors], "warnings": [p.as_dict() for p in self.warnings]}


def report_dict(report: Report) -> dict:
    return {"id": report.pk, "form": report.form.code, "agency": report.agency.code, "period": report.period,
            "version": report.version, "status": report.status, "due": report.due, "source": report.source,
            "values": {f"{v.indicator.code}{'|' + v.disaggregation if v.disaggregation else ''}": float(v.value)
                       for v in report.values.select_related("indicator")}}


# ---------------------------------------------------------------------------------------------------------------
# Cells: the template puts row i of the form on sheet row i + HEADER_ROWS, the figure in column D.

HEADER_ROWS = 4
VALUE_COLUMN = 4


def cell_of(form: Form, code: str, disaggregation: str = "") -> str:
    for index, row in enumerate(form.rows.select_related("indicator")):
        if row.indicator.code == code and row.disaggregation == disaggregation:
            from openpyxl.utils import get_column_letter

            return f"{get_column_letter(VALUE_COLUMN)}{index + HEADER_ROWS + 1}"
    return ""


def _key(code: str, disaggregation: str = "") -> str:
    return f"{code}|{disaggregation}" if disaggregation else code


def validate(form: Form, agency: Agency, period: periods.Period, figures: dict) -> tuple[list, list]:
    """Rules on the form: {"code", "kind": "range", "indicator", "min", "max"};
    {"code", "kind": "expression", "left": "A", "right": ["B|nam", "B|nu"]} (left = sum of right);
    {"code", "kind": "deviation", "indicator", "max_percent"} (warning against the previous period)."""
    errors, warnings = [], []
    for rule in form.rules:
        kind, code = rule.get("kind"), rule.get("code", rule.get("kind"))
        if kind == "range":
            target = rule["indicator"]
            value = figures.get(target)
            if value is None:
                continue
            low, high = rule.get("min"), rule.get("max")
            if (low is not None and value < Decimal(str(low))) or (high is not None and value > Decimal(str(high))):
                errors.append(Problem(code, f"{target} = {format_number(value)} ngoài khoảng [{low}, {high}] / "
                                            f"outside [{low}, {high}]", cell_of(form, *target.split("|"))))
        elif kind == "expression":
            left = figures.get(rule["left"])
            parts = [figures.get(p) for p in rule["right"]]
            if left is None or any(p is None for p in parts):
                continue
            total = sum(parts, Decimal(0))
            if abs(left - total) > Decimal(str(rule.get("tolerance", 0))):
                parts_text = " + ".join(rule["right"])
                errors.append(Problem(code, f"{rule['left']} = {format_number(left)} khác tổng {parts_text} = "
                                            f"{format_number(total)} / is not the sum of its parts",
                                      cell_of(form, *rule["left"].split("|"))))
        elif kind == "deviation":
            target = rule["indicator"]
            value = figures.get(target)
            previous = _previous_value(form, agency, period, target)
            if value is None or not previous:
                continue
            change = abs(value - previous) / abs(previous) * 100
            if change > Decimal(str(rule["max_percent"])):
                before = format_number(previous)
                warnings.append(Problem(code, f"{target} thay đổi {change:.1f}% so với kỳ trước ({before}) / "
                                              f"changed {change:.1f}% from the previous period",
                                        cell_of(form, *target.split("|")), "warning"))
    return errors, warnings


def _previous_code(period: periods.Period) -> str:
    before = period.start - datetime.timedelta(days=1)
    if period.kind == "Y" or period.kind == "N":
        return str(period.start.year - 1) + ("N9" if period.kind == "N" else "")
    span = {"M": 1, "Q": 3, "H": 6}[period.kind]
    n = (before.month - 1) // span + 1
    return f"{before.year}M{n:02d}" if period.kind == "M" else f"{before.year}{period.kind}{n}"


def _previous_value(form, agency, period, key) -> Decimal | None:
    code, _, disagg = key.partition("|")
    row = DataValue.objects.filter(indicator__code=code, disaggregation=disagg, agency=agency,
                                   period=_previous_code(period), is_current=True).first()
    return row.value if row else None


def _due(form: Form, period: periods.Period) -> datetime.date:
    ptype = PeriodType.objects.filter(kind=period.kind).first()
    return periods.due(period, form.regime.deadline_days, ptype.cutoff_day if ptype else 0)


def _period(code: str) -> periods.Period:
    try:
        return periods.parse(code)
    except periods.PeriodError as exc:
        raise CollectionError(str(exc)) from exc


@transaction.atomic
def open_report(form: Form, agency: Agency, period_code: str, actor, source: str = "web") -> Report:
    """The agency's open (not approved) report for the period; after approval, a new version beside it."""
    period = _period(period_code)
    latest = Report.objects.filter(form=form, agency=agency, period=period.code).order_by("-version").first()
    if latest and not latest.locked:
        return latest
    version = (latest.version + 1) if latest else 1
    report = Report.objects.create(form=form, agency=agency, unit=agency.unit, period=period.code, version=version,
                                   supersedes=latest, source=source, due=_due(form, period))
    audit.record(actor, "reports.open", report, form=form.code, agency=agency.code, period=period.code,
                 version=version)
    return report


@transaction.atomic
def fill(report: Report, figures: dict, actor) -> Result:
    """Store the figures (keys "CODE" or "CODE|phân tổ") in an open report; rules run first and nothing is
    stored when one fails."""
    if report.locked:
        raise CollectionError(f"báo cáo {report} đã duyệt, không sửa được / approved figures are locked")
    if report.unit_id is None:
        raise CollectionError(f"cơ quan {report.agency.code} không gắn đơn vị hành chính / the agency has no unit")
    form, period = report.form, _period(report.period)
    allowed = {_key(r.indicator.code, r.disaggregation): r.indicator for r in form.rows.select_related("indicator")}
    unknown = [k for k in figures if k not in allowed]
    errors = [Problem("form", f"chỉ tiêu {k} không có trong biểu {form.code} / not on the form") for k in unknown]
    clean = {k: v for k, v in figures.items() if k in allowed and v is not None}
    more_errors, warnings = validate(form, report.agency, period, clean)
    errors += more_errors
    if errors:
        return Result(report, errors, warnings)
    DataValue.objects.filter(report=report).delete()  # an open draft is refilled whole
    DataValue.objects.bulk_create([
        DataValue(indicator=allowed[k], unit_id=report.unit_id, agency=report.agency, period=period.code,
                  period_kind=period.kind, period_start=period.start, period_end=period.end,
                  disaggregation=k.partition("|")[2], value=v, report=report, source=report.source,
                  is_current=False)
        for k, v in clean.items()])
    report.warnings = [w.as_dict() for w in warnings]
    report.save(update_fields=["warnings"])
    audit.record(actor, "reports.fill", report, figures={k: str(v) for k, v in clean.items()},
                 warnings=len(warnings))
    return Result(report, [], warnings)


_MOVES = {"submit": ({Status.DRAFT, Status.RETURNED}, Status.SUBMITTED, None),
          "review": ({Status.SUBMITTED}, Status.REVIEWED, {Role.OFFICIAL, Role.UNIT_ADMIN, Role.PLATFORM_ADMIN}),
          "approve": ({Status.SUBMITTED, Status.REVIEWED}, Status.APPROVED, {Role.UNIT_ADMIN, Role.PLATFORM_ADMIN}),
          "return": ({Status.SUBMITTED, Status.REVIEWED}, Status.RETURNED, {Role.UNIT_ADMIN, Role.PLATFORM_ADMIN})}


@transaction.atomic
def move(report: Report, action: str, actor, note: str = "") -> Report:
    """submit (anyone who may act on the agency), review, approve, return (agency admins over its subtree; the
    approver must be able to act on the agency or on the receiving parent)."""
    sources, target, roles = _MOVES[action]
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status not in sources:
        raise CollectionError(f"báo cáo {report} đang ở trạng thái {report.status}, không thể {action} / "
                              f"cannot {action} from {report.status}")
    if not isinstance(actor, str) and not access.can_act_on(actor, report.agency, roles):
        raise CollectionError(f"{actor} không có quyền {action} báo cáo của {report.agency.code} / may not {action}")
    if action == "submit" and not report.values.exists():
        raise CollectionError(f"báo cáo {report} chưa có số liệu / has no figures")
    report.status = target
    now = timezone.now()
    if action == "submit":
        report.submitted_at = now
    if action == "approve":
        report.approved_at = now
        # The approved version counts from now on; earlier versions stay beside it.
        DataValue.objects.filter(report__form=report.form, report__agency=report.agency,
                                 report__period=report.period, is_current=True).update(is_current=False)
        # …and so do the unit's figures for the same indicator, period and disaggregation from anywhere else (an
        # old system's import, another form): one figure is current per key, which the series' SQL sums on.
        same_key = report.values.filter(indicator=OuterRef("indicator"), unit=OuterRef("unit"),
                                        period=OuterRef("period"), disaggregation=OuterRef("disaggregation"))
        DataValue.objects.filter(unit_id=report.unit_id, is_current=True).filter(Exists(same_key)) \
            .exclude(report=report).update(is_current=False)
        report.values.update(is_current=True)
    report.save()
    if action == "approve":
        from .outbox import enqueue_report

        enqueue_report(report)  # the national system gets the approved version, once
    audit.record(actor, f"reports.{action}", report, status=target, note=note)
    return report


# ---------------------------------------------------------------------------------------------------------------
# Excel


def template(form: Form, agency: Agency | None = None, period_code: str = "") -> "Workbook":
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = form.code[:31]
    ws["A1"] = f"{form.code} — {form.name}"
    ws["A2"] = f"Cơ quan báo cáo: {agency.name if agency else ''} ({agency.code if agency else ''})"
    ws["A3"] = f"Kỳ báo cáo: {period_code}"
    ws.append(["STT", "Mã chỉ tiêu", "Tên chỉ tiêu / phân tổ", "Số liệu", "Đơn vị tính"])
    for index, row in enumerate(form.rows.select_related("indicator"), start=1):
        name = row.indicator.name + (f" — {row.disaggregation}" if row.disaggregation else "")
        ws.append([index, _key(row.indicator.code, row.disaggregation), name, None, row.indicator.unit_of_measure])
    ws.column_dimensions["C"].width = 50
    return wb


def read_upload(form: Form, path) -> tuple[dict, list[Problem]]:
    """Figures keyed as the template's column B says (rows may be moved; the code decides), each parsed as a
    Vietnamese number; a cell that is no number is an error naming it."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise CollectionError(f"không đọc được tệp Excel / cannot read the workbook {path}: {exc}") from exc
    ws = wb.active
    figures, problems = {}, []
    allowed = {_key(r.indicator.code, r.disaggregation) for r in form.rows.select_related("indicator")}
    for row in ws.iter_rows(min_row=HEADER_ROWS + 1):
        key = str(row[1].value or "").strip()
        if not key:
            continue
        cell = row[VALUE_COLUMN - 1]
        if key not in allowed:
            problems.append(Problem("form", f"mã {key} không có trong biểu {form.code} / not on the form",
                                    f"B{cell.row}"))
            continue
        try:
            figures[key] = parse_number(cell.value)
        except ValueError:
            problems.append(Problem("number", f"'{cell.value}' không phải số / not a number", cell.coordinate))
    return figures, problems


def import_upload(form: Form, agency: Agency, period_code: str, path, actor) -> Result:
    figures, problems = read_upload(form, path)
    if problems:
        return Result(None, problems, [])
    report = open_report(form, agency, period_code, actor, source="excel")
    if report.source != "excel":
        report.source = "excel"
        report.save(update_fields=["source"])
    return fill(report, figures, actor)


def overdue(today: datetime.date | None = None, user=None) -> list[dict]:
    """Per agency: the reports whose due date has passed without approval."""
    today = today or timezone.localdate()
    latest = Report.objects.values("form", "agency", "period").annotate(v=Max("version"))
    wanted = {(r["form"], r["agency"], r["period"], r["v"]) for r in latest}
    rows = Report.objects.filter(due__lt=today).exclude(status=Status.APPROVED).select_related("form", "agency")
    if user is not None:
        rows = access.filter_visible(rows, user)
    out: dict[str, dict] = {}
    for r in rows:
        if (r.form_id, r.agency_id, r.period, r.version) not in wanted:
            continue
        entry = out.setdefault(r.agency.code, {"agency": r.agency.code, "name": r.agency.name, "reports": []})
        entry["reports"].append({"form": r.form.code, "period": r.period, "due": r.due, "status": r.status,
                                 "days_late": (today - r.due).days})
    return sorted(out.values(), key=lambda e: e["agency"])


@transaction.atomic
def record_values(rows, source: str, actor) -> int:
    """Figures from an old system (an importer) or computed from the platform's own data, stored as current
    against the unit that reported them: rows of (indicator, unit, agency|None, period_code, disaggregation,
    value). A figure already stored for the same key and source is replaced only when it changed (the old row
    stays, no longer current)."""
    made = 0
    for indicator, unit, agency, period_code, disaggregation, value in rows:
        period = _period(period_code)
        current = DataValue.objects.filter(indicator=indicator, unit=unit, period=period.code,
                                           disaggregation=disaggregation, is_current=True).first()
        if current and current.value == value:
            continue
        if current:
            current.is_current = False
            current.save(update_fields=["is_current"])
        DataValue.objects.create(indicator=indicator, unit=unit, agency=agency, period=period.code,
                                 period_kind=period.kind, period_start=period.start, period_end=period.end,
                                 disaggregation=disaggregation, value=value, source=source, is_current=True)
        made += 1
    if made:
        audit.record(actor, "reports.record_values", None, source=source, count=made)
    return made
