import datetime
import io
from decimal import Decimal
from functools import partial

import pytest
from openpyxl import Workbook, load_workbook

from hopnhat.consolidation.inventory import demo, spreadsheet
from hopnhat.consolidation.inventory.models import OldSystem, SystemType
from hopnhat.consolidation.inventory.scope import can_register
from hopnhat.core.models import AuditEntry
from hopnhat.org import testing
from hopnhat.org.models import AdminUnit, Level, Vintage

pytestmark = pytest.mark.django_db

HG_PORTAL = demo.SYSTEMS[0]


def _import(rows, **kwargs):
    return spreadsheet.import_register(demo.filled_template(rows), actor="nguyen.van.an", name="ra-soat.xlsx",
                                       **kwargs)


def test_template_has_vietnamese_headers_drop_downs_and_instructions(tmp_path):
    out = tmp_path / "mau.xlsx"
    spreadsheet.write_template(out)
    book = load_workbook(out)
    assert book.sheetnames == ["Hệ thống", "Hướng dẫn"]
    sheet = book["Hệ thống"]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["Mã hệ thống *", "Tên hệ thống *", "Loại hệ thống *", "Mã định danh cơ quan chủ quản *",
                           "Mã đơn vị hành chính mới *"]
    assert "Cấp độ an toàn thông tin (1–5)" in headers
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in sheet.data_validations.dataValidation
             if dv.type == "list"}
    assert lists["C"] == '"Cổng thông tin điện tử,Thủ tục hành chính,Văn bản điều hành,Thư điện tử,Báo cáo,Khác"'
    assert lists["N"] == '"1,2,3,4,5"'  # security level
    assert sheet["D2"].number_format == "@" and sheet["E2"].number_format == "@"  # 08 keeps its zero
    guide = [row[0] for row in book["Hướng dẫn"].iter_rows(values_only=True) if row and row[0]]
    assert any("hopnhat inventory import" in line for line in guide)


def test_round_trip_template_fill_import(register, agencies):
    assert len(register.created) == 10 and not register.errors
    portal = OldSystem.objects.get(code="portal-hagianggovvn")
    assert portal.system_type == SystemType.PORTAL
    assert portal.agency == agencies["000.00.01.H22"] and not portal.agency.is_active  # closed by the merger
    assert (portal.new_unit.code, portal.new_unit.vintage) == ("08", "2025-07-01")
    assert portal.url == "https://hagiang.gov.vn"
    assert portal.data_gb == Decimal("120.00") and portal.yearly_cost_vnd == 380_000_000
    assert portal.contract_end == datetime.date(2025, 12, 31)
    assert portal.endpoint_list() == ["LGSP tỉnh Hà Giang", "Cổng Dịch vụ công quốc gia"]
    mail = OldSystem.objects.get(code="hagiang-mail")
    assert mail.product == "Zimbra Collaboration OSE" and mail.notes == "Tự vận hành; chưa có bản sao lưu ngoài tỉnh."
    assert AuditEntry.objects.filter(action="inventory.import", actor="nguyen.van.an").count() == 1


def test_reimport_is_idempotent_and_updates_by_code(register):
    again = _import(demo.SYSTEMS)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 10)
    assert OldSystem.objects.count() == 10
    assert AuditEntry.objects.filter(action="inventory.import").count() == 1  # nothing changed, nothing logged
    changed = [{**HG_PORTAL, "users": 195, "version": "4.3"}]
    report = _import(changed)
    assert report.updated == ["portal-hagianggovvn"]
    portal = OldSystem.objects.get(code="portal-hagianggovvn")
    assert (portal.users, portal.version) == (195, "4.3")


def test_bad_rows_are_named_by_sheet_row_and_good_rows_kept(agencies):
    rows = [
        HG_PORTAL,                                                                     # row 2: fine
        {**demo.SYSTEMS[1], "agency": "000.00.99.H60"},                                # row 3: unknown agency
        {**demo.SYSTEMS[2], "security_level": 7},                                      # row 4: level 7
        {**demo.SYSTEMS[3], "yearly_cost_vnd": "khoảng 950 triệu"},                    # row 5: text in cost
        {**demo.SYSTEMS[4], "code": "portal-hagianggovvn"},                                 # row 6: duplicate code
        {**demo.SYSTEMS[5], "system_type": "Phần mềm kế toán"},                        # row 7: unknown type
        {**demo.SYSTEMS[6], "new_unit": "02"},                                         # row 8: old province
        demo.SYSTEMS[7],                                                               # row 9: fine
    ]
    report = _import(rows)
    errors = {e.row: e for e in report.errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8}
    assert "000.00.99.H60" in errors[3].message and "không có trong danh mục" in errors[3].message
    assert errors[4].code == "hagiang-motcua" and "cấp độ 7 ngoài khoảng 1–5" in errors[4].message
    assert "“khoảng 950 triệu” không phải số nguyên" in errors[5].message
    assert "trùng với dòng 2" in errors[6].message
    assert "Phần mềm kế toán" in errors[7].message
    assert "“02”" in errors[8].message
    assert str(errors[4]).startswith("Hệ thống!4 (hagiang-motcua): ")
    assert sorted(report.created) == ["portal-hagianggovvn", "tuyenquang-mail"]
    assert set(OldSystem.objects.values_list("code", flat=True)) == {"portal-hagianggovvn", "tuyenquang-mail"}


def test_dry_run_reports_and_writes_nothing(agencies):
    report = _import(demo.SYSTEMS, dry_run=True)
    assert len(report.created) == 10 and report.dry_run
    assert OldSystem.objects.count() == 0
    assert not AuditEntry.objects.filter(action="inventory.import").exists()


def test_cells_as_people_type_them(agencies):
    row = {**HG_PORTAL, "new_unit": 8, "yearly_cost_vnd": "380.000.000", "data_gb": "120,5",
           "contract_end": datetime.datetime(2025, 12, 31),  # noqa: DTZ001 - how openpyxl hands a date cell "system_type": "  cổng thông tin điện tử ",
           "agency": "000.00.01.h22", "code": "Portal-HaGiangGovVn", "endpoints": "LGSP\nNDXP"}
    report = _import([row])
    assert report.ok, report.summary()
    portal = OldSystem.objects.get(code="portal-hagianggovvn")
    assert portal.new_unit.code == "08" and portal.yearly_cost_vnd == 380_000_000
    assert portal.data_gb == Decimal("120.50") and portal.endpoint_list() == ["LGSP", "NDXP"]


def test_blank_required_cell_and_missing_columns(agencies, tmp_path):
    report = _import([{**HG_PORTAL, "name": None}])
    assert report.errors[0].row == 2 and "“Tên hệ thống” is required" in report.errors[0].message
    book = Workbook()
    book.active.append(["Mã hệ thống", "Tên hệ thống"])
    path = tmp_path / "thieu-cot.xlsx"
    book.save(path)
    with pytest.raises(spreadsheet.ImportFileError, match="thiếu cột.*Loại hệ thống"):
        spreadsheet.import_register(path, actor="x")
    not_excel = tmp_path / "ra-soat.xlsx"
    not_excel.write_text("mã,tên\n")
    with pytest.raises(spreadsheet.ImportFileError, match="ra-soat.xlsx: không đọc được"):
        spreadsheet.import_register(not_excel, actor="x")


def test_a_commune_code_lost_its_zeros_still_resolves_when_unambiguous(agencies):
    row = {**HG_PORTAL, "code": "badinh-portal", "agency": "000.00.40.H26", "new_unit": 4}
    assert _import([row]).ok
    assert OldSystem.objects.get(code="badinh-portal").new_unit.name == "Phường Ba Đình"
    hanoi = AdminUnit.objects.get(vintage=Vintage.NEW, code="01")
    testing.unit(Vintage.NEW, Level.WARD, "00008", "Phường Ngọc Hà", parent=hanoi)
    report = _import([{**HG_PORTAL, "new_unit": 8}])  # province 08 or commune 00008?
    assert "mơ hồ (08 hoặc 00008)" in report.errors[0].message
    assert _import([{**HG_PORTAL, "new_unit": "08"}]).created == ["portal-hagianggovvn"]


def test_upload_scope_follows_the_agency_or_the_new_unit(agencies, tq_admin, hanoi_admin):
    # Hà Giang's portal belongs to a closed Hà Giang agency: the officer of the new Tuyên Quang may register it
    # because it will serve Tuyên Quang; a ward officer of Hà Nội may not.
    stream = io.BytesIO(demo.filled_template([HG_PORTAL]).getvalue())
    report = spreadsheet.import_register(stream, actor=hanoi_admin, may_register=partial(can_register, hanoi_admin))
    assert "ngoài phạm vi" in report.errors[0].message and not OldSystem.objects.exists()
    stream.seek(0)
    report = spreadsheet.import_register(stream, actor=tq_admin, may_register=partial(can_register, tq_admin))
    assert report.created == ["portal-hagianggovvn"]


@pytest.mark.parametrize("typed", ["²", "³4", "½"])
def test_a_superscript_or_fraction_in_a_number_cell_is_a_cell_error_not_a_crash(typed):
    # str.isdigit() says yes to "²", int() says no: found by the register fuzz test (issue 13).
    from hopnhat.consolidation.inventory.spreadsheet import CellError, _integer

    with pytest.raises(CellError, match="not a whole number"):
        _integer(typed, "hỗ trợ")
    assert _integer("１２", "hỗ trợ") == 12  # full-width digits, as some input methods type them
