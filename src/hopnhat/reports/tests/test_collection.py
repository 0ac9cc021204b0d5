import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from hopnhat.core.models import AuditEntry
from hopnhat.dossiers.tests.staffing import official
from hopnhat.org.models import Role
from hopnhat.reports import collection
from hopnhat.reports.models import DataValue, Report, Status

from .conftest import ACTOR


def test_vietnamese_numbers():
    assert collection.parse_number("1.234,5") == Decimal("1234.5")
    assert collection.parse_number("1.234.567") == Decimal("1234567")
    assert collection.parse_number("12,75") == Decimal("12.75")
    assert collection.parse_number(" 1 234 ") == Decimal("1234")
    assert collection.parse_number(42) == Decimal(42)
    assert collection.parse_number("") is None
    with pytest.raises(ValueError):
        collection.parse_number("mười hai")
    assert collection.format_number(Decimal("1234567.5")) == "1.234.567,5"
    assert collection.format_number(Decimal("-1000")) == "-1.000"
    assert collection.format_number(Decimal("0.25")) == "0,25"


def _fill_template(tq, tmp_path, values, name="b01.xlsx"):
    path = tmp_path / name
    collection.template(tq.cat.form, tq.agencies.ys, "2024Q4").save(path)
    wb = load_workbook(path)
    ws = wb.active
    for row in ws.iter_rows(min_row=collection.HEADER_ROWS + 1):
        if row[1].value in values:
            row[3].value = values[row[1].value]
    wb.save(path)
    return path


def test_excel_upload_errors_name_cell_and_rule(tq, tmp_path):
    ag = tq.agencies.ys
    path = _fill_template(tq, tmp_path, {"DS01": "1.250", "DS01|nam": "600", "DS01|nữ": "640", "DS02": "12.345"})
    result = collection.import_upload(tq.cat.form, ag, "2024Q4", path, ACTOR)
    assert not result.ok
    assert [(p.rule, p.cell) for p in result.errors] == [("R2", "D5")]
    assert "khác tổng" in result.errors[0].message
    assert not DataValue.objects.exists()
    path = _fill_template(tq, tmp_path, {"DS01": "abc"})
    result = collection.import_upload(tq.cat.form, ag, "2024Q4", path, ACTOR)
    assert [(p.rule, p.cell) for p in result.errors] == [("number", "D5")]


def test_submit_review_approve_lock_and_correction(tq, tmp_path):
    ag = tq.agencies.ys
    path = _fill_template(tq, tmp_path, {"DS01": "1.240", "DS01|nam": "600", "DS01|nữ": "640", "DS02": "12.345,0"})
    result = collection.import_upload(tq.cat.form, ag, "2024Q4", path, ACTOR)
    assert result.ok, result.as_dict()
    report = result.report
    assert report.due == datetime.date(2024, 12, 20) and report.source == "excel"
    clerk = official("ys-clerk", "Nguyễn Văn An", ag, Role.OFFICIAL)
    boss = official("tq-admin", "Trần Thị Bình", tq.agencies.tq, Role.UNIT_ADMIN)
    outsider = official("hg-admin", "Lê Văn Cường", tq.agencies.hg, Role.UNIT_ADMIN)
    collection.move(report, "submit", clerk)
    with pytest.raises(collection.CollectionError, match="không có quyền"):
        collection.move(report, "approve", outsider)
    with pytest.raises(collection.CollectionError, match="không có quyền"):
        collection.move(report, "approve", clerk)
    collection.move(report, "review", clerk)
    report = collection.move(report, "approve", boss)
    assert report.status == Status.APPROVED
    assert DataValue.objects.get(report=report, indicator__code="DS02").is_current
    assert AuditEntry.objects.filter(action="reports.approve", object_pk=str(report.pk)).exists()
    with pytest.raises(collection.CollectionError, match="đã duyệt"):
        collection.fill(report, {"DS02": Decimal(1)}, ACTOR)
    # A correction: a new version beside the old one; the old one keeps its figures.
    fix = collection.open_report(tq.cat.form, ag, "2024Q4", ACTOR)
    assert (fix.version, fix.supersedes_id) == (2, report.pk)
    assert collection.fill(fix, {"DS01": Decimal(1240), "DS01|nam": Decimal(600), "DS01|nữ": Decimal(640),
                                 "DS02": Decimal(12400)}, ACTOR).ok
    collection.move(fix, "submit", clerk)
    collection.move(fix, "approve", boss)
    current = DataValue.objects.get(indicator__code="DS02", is_current=True)
    assert current.value == Decimal(12400) and current.report_id == fix.pk
    assert DataValue.objects.get(indicator__code="DS02", report=report).value == Decimal(12345)


def test_deviation_is_a_warning_and_overdue_per_agency(tq):
    ag = tq.agencies.ys
    first = collection.open_report(tq.cat.form, ag, "2024Q3", ACTOR)
    collection.fill(first, {"DS02": Decimal(10000)}, ACTOR)
    collection.move(first, "submit", ACTOR)
    collection.move(first, "approve", ACTOR)
    second = collection.open_report(tq.cat.form, ag, "2024Q4", ACTOR)
    result = collection.fill(second, {"DS02": Decimal(15000)}, ACTOR)
    assert result.ok and [(w.rule, w.cell, w.severity) for w in result.warnings] == [("R3", "D8", "warning")]
    late = collection.overdue(datetime.date(2025, 1, 10))
    assert [(a["agency"], [r["period"] for r in a["reports"]]) for a in late] == [("000.00.49.H60", ["2024Q4"])]
    assert collection.overdue(datetime.date(2024, 12, 20)) == []


def test_cli_import(tq, tmp_path, capsys):
    path = _fill_template(tq, tmp_path, {"DS01": "10", "DS01|nam": "4", "DS01|nữ": "6", "DS02": "1.000"})
    call_command("reports", "import", str(path), "--form", "B01-DS", "--agency", "000.00.49.H60", "--period",
                 "2024Q4", "--submit", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["report"]["values"]["DS02"] == 1000.0
    assert Report.objects.get().status == Status.SUBMITTED
