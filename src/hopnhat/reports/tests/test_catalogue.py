import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hopnhat.reports import catalogue, periods
from hopnhat.reports.models import Form, Indicator, Regime

from .conftest import ACTOR


def test_period_codes_and_cutoff(db):
    q = periods.parse("2024q4")
    assert (q.code, q.kind, q.start, q.end) == ("2024Q4", "Q", datetime.date(2024, 10, 1), datetime.date(2024, 12, 31))
    assert periods.parse("2024M3").code == "2024M03"
    assert periods.parse("2025H1").end == datetime.date(2025, 6, 30)
    assert periods.parse("2024N9").end == datetime.date(2024, 9, 30)
    assert periods.parse("2024").kind == "Y"
    assert periods.cutoff(q, 15) == (datetime.date(2024, 9, 15), datetime.date(2024, 12, 14))
    # 5 working days after Saturday 14/12/2024: Mon 16 … Fri 20.
    assert periods.due(q, 5, 15) == datetime.date(2024, 12, 20)
    assert periods.parse("2024Q1").label("vi") == "Quý 1/2024"
    for bad in ("2024Q5", "2024M13", "24Q1", "2024X1"):
        with pytest.raises(periods.PeriodError):
            periods.parse(bad)


def test_catalogue_round_trip(tq, tmp_path):
    path = tmp_path / "danh-muc.xlsx"
    counts = catalogue.export_workbook(path)
    assert counts == {"Chế độ báo cáo": 1, "Chỉ tiêu": 3, "Kỳ báo cáo": 2, "Biểu mẫu": 4}
    wb = load_workbook(path)
    assert wb["Chỉ tiêu"]["A1"].value == "Mã chỉ tiêu [code]"
    # Edit in Excel: rename an indicator, add one; import it back.
    ws = wb["Chỉ tiêu"]
    ws["B2"] = "Số trẻ em sinh ra trong kỳ"
    ws.append(["DS04", "Số người chết", "người", "giới tính; nhóm tuổi", "sum", None, None, 1, "0102", None])
    wb.save(path)
    Form.objects.all().delete()
    counts = catalogue.import_workbook(path, ACTOR)
    assert counts["indicators"] == {"created": 1, "updated": 3}
    assert counts["forms"] == {"created": 1, "updated": 0}
    assert Indicator.objects.get(code="DS01").name == "Số trẻ em sinh ra trong kỳ"
    assert Indicator.objects.get(code="DS04").disaggregations == ["giới tính", "nhóm tuổi"]
    rate = Indicator.objects.get(code="DS03")
    assert (rate.numerator.code, rate.denominator.code, rate.factor) == ("DS01", "DS02", Decimal(1000))
    form = Form.objects.get(code="B01-DS")
    assert form.rows.count() == 4 and form.rules[1]["kind"] == "expression"
    assert Regime.objects.get(code="BC-DS-01").deadline_days == 5


def test_catalogue_errors_name_sheet_row_and_column(tq, tmp_path):
    path = tmp_path / "x.xlsx"
    catalogue.export_workbook(path)
    wb = load_workbook(path)
    wb["Chỉ tiêu"]["E3"] = "median"
    wb.save(path)
    with pytest.raises(catalogue.CatalogueError, match="Chỉ tiêu, dòng 3, cột aggregation"):
        catalogue.import_workbook(path, ACTOR)
    wb["Chỉ tiêu"]["E3"] = "sum"
    wb["Biểu mẫu"]["E2"] = "KHONG-CO"
    wb.save(path)
    with pytest.raises(catalogue.CatalogueError, match="Biểu mẫu, dòng 2, cột indicator"):
        catalogue.import_workbook(path, ACTOR)
