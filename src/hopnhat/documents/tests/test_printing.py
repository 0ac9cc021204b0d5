"""The register printed in Phụ lục IV's layout: Excel and PDF with the Decree's columns and the register's lines,
through `hopnhat documents register export` (exit 2 naming a bad agency)."""

import io
import json

import pytest
from django.core.management import call_command

from hopnhat.documents import actions, printing

from .conftest import at, incoming_meta

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(tq, staff):
    first = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), at=at(2025, 8, 4))
    actions.assign(staff.leader, first, [(tq.vp, staff.officer, "lead")], days=3)
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="230/UBND-VP", subject="Đôn đốc báo cáo",
                                                                issuer_name="Sở Nội vụ tỉnh Tuyên Quang"),
                              at=at(2025, 8, 5))
    return tq.tq


def test_xlsx_has_the_decrees_columns_and_lines(register, tmp_path):
    from openpyxl import load_workbook

    out = io.StringIO()
    path = tmp_path / "so-den.xlsx"
    call_command("documents", "register", "export", "000.00.00.H60", "2025", "--format", "xlsx", "--out", str(path),
                 "--json", stdout=out)
    assert json.loads(out.getvalue())["rows"] == 2
    ws = load_workbook(path).active
    assert ws["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM 2025"
    assert [c.value for c in ws[5]] == printing.COLUMNS["incoming"]
    first, second = [c.value for c in ws[7]], [c.value for c in ws[8]]
    assert first[:5] == ["04/08/2025 09:00", "1", "UBND tỉnh Hà Giang", "15/QĐ-UBND", "04/03/2025"]
    assert first[5].startswith("Quyết định: Về việc phê duyệt") and first[6].startswith("Văn phòng UBND tỉnh")
    assert second[1] == "2" and second[5].startswith("Công văn: Đôn đốc")


def test_pdf_prints_vietnamese_text(register, tmp_path):
    from pypdf import PdfReader

    data = printing.export(register, 2025, "incoming", "pdf")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM 2025" in text and "Tên loại và trích yếu" in text
    assert "15/QĐ-UBND" in text and "Đôn đốc báo cáo" in text


def test_export_refuses_unknown_agency_with_exit_2(register):
    out = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("documents", "register", "export", "UBND không có", "2025", "--json", stdout=out)
    assert caught.value.code == 2 and "không tìm thấy" in json.loads(out.getvalue())["error"]


def test_pdf_reads_as_a_clerk_expects(register, staff, tq):
    """Dates on one line (a narrow column broke 04/03/2025 into 04/03/2 / 025), the type named once when the old
    system wrote it into the trích yếu too, numbered pages, and the outgoing register's kept copy ("Lưu: VT,
    <drafting unit>") read from the công văn's ký hiệu — never the account or old system that typed it."""
    from pypdf import PdfReader

    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(
        number="17/QĐ-UBND", subject="Quyết định về việc giao chỉ tiêu biên chế công chức năm 2025"),
        at=at(2025, 8, 6))
    text = PdfReader(io.BytesIO(printing.export(register, 2025, "incoming", "pdf"))).pages[0].extract_text()
    assert "04/03/2025" in text and "04/08/2025" in text, text
    assert "Quyết định: Quyết định" not in text and "Quyết định về việc giao chỉ tiêu" in text
    assert "Trang 1" in text
    draft = actions.draft(staff.officer, tq.tq, {"code_notation": "UBND-VP", "subject": "V/v đôn đốc báo cáo"})
    for step, actor in (("review", staff.leader), ("approve", staff.leader), ("sign", staff.leader),
                        ("number", staff.clerk), ("issue", staff.clerk)):
        draft = actions.step(actor, draft, step)
    year = draft.register.year
    [line] = printing.rows(tq.tq, year, "outgoing")
    assert line[5] == "VT, VP", line
    assert printing.rows(tq.tq, year, "outgoing") == [line]
