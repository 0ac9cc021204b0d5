"""The procedure catalogue from the sheets provinces publish (CSV and Excel), bad rows named by file and line."""

import openpyxl
import pytest
from django.core.management import call_command

from hopnhat.dossiers.catalogue import CatalogueError, load_procedures
from hopnhat.dossiers.models import Procedure

pytestmark = pytest.mark.django_db

HEADER = ["Mã thủ tục", "Tên thủ tục", "Mã lĩnh vực", "Lĩnh vực", "Cấp thực hiện", "Thời hạn giải quyết",
          "Phí, lệ phí", "Thành phần hồ sơ"]
ROWS = [
    ["1.001193.000.00.00.H26", "Thủ tục đăng ký khai sinh", "G09-TP01", "Hộ tịch", "Cấp xã", "3", "",
     "Tờ khai đăng ký khai sinh (1); Giấy chứng sinh (1)"],
    ["2.000884.000.00.00.H26", "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản", "G09-TP05", "Chứng thực",
     "Cấp xã; Cấp tỉnh", "1", "Lệ phí chứng thực: 10.000 đồng", "Giấy tờ cần chứng thực (1)"],
]


def _csv(path, rows):
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def test_csv_loads_and_reloads_without_change(tmp_path):
    path = _csv(tmp_path / "danh_muc_tthc.csv", ROWS)
    assert load_procedures(path) == {"created": 2, "updated": 0, "unchanged": 0}
    certify = Procedure.objects.get(code="2.000884.000.00.00.H26")
    assert certify.national_code == "2.000884" and certify.processing_days == 1
    assert certify.fees == [{"name": "Lệ phí chứng thực", "amount": 10000}]
    assert certify.levels == ["Cấp xã", "Cấp tỉnh"]
    birth = Procedure.objects.get(code="1.001193.000.00.00.H26")
    assert birth.papers == [{"name": "Tờ khai đăng ký khai sinh", "copies": 1}, {"name": "Giấy chứng sinh",
                                                                                   "copies": 1}]
    assert load_procedures(path) == {"created": 0, "updated": 0, "unchanged": 2}


def test_excel_sheet_updates_a_procedure(tmp_path):
    _csv(tmp_path / "a.csv", ROWS)
    load_procedures(tmp_path / "a.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([*ROWS[0][:5], 5, *ROWS[0][6:]])
    book.save(tmp_path / "cap_nhat.xlsx")
    assert load_procedures(tmp_path / "cap_nhat.xlsx") == {"created": 0, "updated": 1, "unchanged": 0}
    assert Procedure.objects.get(code="1.001193.000.00.00.H26").processing_days == 5


def test_bad_row_is_named_and_nothing_is_written(tmp_path, capsys):
    path = _csv(tmp_path / "loi.csv", [ROWS[0], ["1.001193-H26", "Thủ tục sai mã", "", "", "", "3", "", ""]])
    with pytest.raises(CatalogueError, match=r"loi.csv line 3, Mã thủ tục “1.001193-H26”"):
        load_procedures(path)
    assert Procedure.objects.count() == 0
    bad_days = _csv(tmp_path / "loi2.csv", [[*ROWS[0][:5], "ba ngày", "", ""]])
    with pytest.raises(SystemExit):
        call_command("dossiers", "procedures", str(bad_days), "--json")
    assert "loi2.csv line 2, Thời hạn giải quyết “ba ngày”" in capsys.readouterr().out
