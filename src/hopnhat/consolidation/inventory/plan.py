"""The consolidation plan as a workbook for the steering committee: one row per old system (score, decision,
wave, engine counts), one row per new unit and system type (state), and the weights the scores used."""

from pathlib import Path
from typing import BinaryIO

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from hopnhat.core.exports import append_row

from .models import Decision, SystemType
from .scoring import current_weights, score_systems
from .status import COUNT_KEYS, State, unit_dashboard, units_with_systems

PLAN_SHEET = "Kế hoạch"
SUMMARY_SHEET = "Tổng hợp"
WEIGHTS_SHEET = "Trọng số"

PLAN_HEADERS = [
    "Mã đơn vị mới", "Đơn vị mới", "Loại hệ thống", "Mã hệ thống", "Tên hệ thống", "Cơ quan chủ quản",
    "Mã định danh", "Điểm", "Hạng", "Quyết định", "Chuyển vào", "Lý do", "Người quyết định", "Đợt",
    "Bắt đầu dự kiến", "Kết thúc dự kiến", "Số lần chạy", "Đã nạp", "Đã gộp", "Cách ly", "Đã lọc",
]
SUMMARY_HEADERS = ["Mã đơn vị mới", "Đơn vị mới", "Loại hệ thống", "Trạng thái", "Số hệ thống", "Số lần chạy",
                   "Đã nạp", "Đã gộp", "Cách ly", "Đã lọc", "Ghi chú"]


def _bold_header(sheet, headers: list[str]) -> None:
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def write_plan(out: str | Path | BinaryIO, systems: QuerySet) -> dict:
    """Write the plan for `systems` (already filtered to what the reader may see); return what was written."""
    book = Workbook()
    plan = book.active
    plan.title = PLAN_SHEET
    _bold_header(plan, PLAN_HEADERS)
    summary = book.create_sheet(SUMMARY_SHEET)
    _bold_header(summary, SUMMARY_HEADERS)
    decisions = dict(Decision.choices)
    written = {"systems": 0, "units": 0, "states": {s: 0 for s in State.LABELS}}
    for unit in units_with_systems(systems):
        written["units"] += 1
        dashboard = unit_dashboard(unit, systems)
        for status in dashboard.types:
            written["states"][status.state] += 1
            append_row(summary, [unit.code, unit.name, status.label, status.state_label, len(status.lines), status.runs,
                            *(status.counts[k] for k in COUNT_KEYS), status.note])
        totals_of = {line.system.pk: line.totals or {} for status in dashboard.types for line in status.lines}
        for system_type in SystemType.values:
            group = list(systems.filter(new_unit=unit, system_type=system_type).select_related(
                "agency", "migrate_into").order_by("code"))
            for score in score_systems(group):
                system, totals = score.system, totals_of.get(score.system.pk, {})
                append_row(plan, [
                    unit.code, unit.name, SystemType(system.system_type).label, system.code, system.name,
                    system.agency.name, system.agency.code, round(score.total, 2), score.rank,
                    decisions[system.decision], system.migrate_into.code if system.migrate_into_id else "",
                    system.rationale, system.decided_by, system.wave, system.planned_start, system.planned_end,
                    totals.get("runs", 0), *(totals.get(k, 0) for k in COUNT_KEYS),
                ])
                written["systems"] += 1
    weights = book.create_sheet(WEIGHTS_SHEET)
    _bold_header(weights, ["Tiêu chí", "Trọng số"])
    for criterion, weight in current_weights().items():
        append_row(weights, [criterion, float(weight)])
    book.save(out)
    return written
