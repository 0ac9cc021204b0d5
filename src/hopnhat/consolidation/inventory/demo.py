"""Demo register: the old systems of Hà Giang and Tuyên Quang, which merged into the new Tuyên Quang province
(code 08) on 1 July 2025. The demo goes through the same door as an IT team: it fills the Excel template and
imports it, then records the decisions for the one-door (TTHC) systems.

Figures are realistic orders of magnitude, not official numbers. The owning agencies are the organisation demo's
(hopnhat.org.demo), named by their mã định danh: H22 Hà Giang (closed), H60 Tuyên Quang.
"""

import datetime
import io

from openpyxl import load_workbook

from . import decisions, spreadsheet
from .models import Decision, OldSystem

# One dict per template row; keys are the template's field names (spreadsheet.COLUMNS).
SYSTEMS = [
    # Portal codes follow the portal importer's system code (portal-<old host>), so the runs of
    # `hopnhat portal import … --site hagiang.gov.vn` show on the dashboard.
    {"code": "portal-hagianggovvn", "name": "Cổng thông tin điện tử tỉnh Hà Giang",
     "system_type": "Cổng thông tin điện tử", "agency": "000.00.01.H22", "new_unit": "08",
     "vendor": "VNPT Hà Giang", "product": "VNPT Portal",
     "version": "4.2", "hosting": "Trung tâm tích hợp dữ liệu tỉnh Hà Giang", "url": "https://hagiang.gov.vn",
     "users": 180, "records": 52340, "data_gb": 120, "security_level": 3, "contract_end": "31/12/2025",
     "endpoints": "LGSP tỉnh Hà Giang; Cổng Dịch vụ công quốc gia", "yearly_cost_vnd": 380_000_000,
     "capability": 3, "vendor_support": 3},
    {"code": "portal-tuyenquanggovvn", "name": "Cổng thông tin điện tử tỉnh Tuyên Quang",
     "system_type": "Cổng thông tin điện tử", "agency": "000.00.01.H60", "new_unit": "08", "vendor": "Viettel",
     "product": "Viettel Portal", "version": "3.1", "hosting": "Viettel IDC", "url": "https://tuyenquang.gov.vn",
     "users": 240, "records": 68710, "data_gb": 150, "security_level": 3, "contract_end": "30/06/2027",
     "endpoints": "LGSP tỉnh Tuyên Quang; Cổng Dịch vụ công quốc gia; VNeID", "yearly_cost_vnd": 450_000_000,
     "capability": 4, "vendor_support": 4},
    {"code": "hagiang-motcua", "name": "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Hà Giang",
     "system_type": "Thủ tục hành chính", "agency": "000.01.01.H22", "new_unit": "08", "vendor": "VNPT",
     "product": "VNPT iGate", "version": "2.0", "hosting": "Trung tâm tích hợp dữ liệu tỉnh Hà Giang",
     "url": "https://dichvucong.hagiang.gov.vn", "users": 2100, "records": 1_350_000, "data_gb": 640,
     "security_level": 3, "contract_end": "31/12/2025",
     "endpoints": "Cổng Dịch vụ công quốc gia; NDXP; CSDL quốc gia về dân cư", "yearly_cost_vnd": 1_200_000_000,
     "capability": 4, "vendor_support": 4},
    {"code": "tuyenquang-motcua", "name": "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Tuyên Quang",
     "system_type": "Thủ tục hành chính", "agency": "000.01.01.H60", "new_unit": "08", "vendor": "Viettel",
     "product": "Viettel Một cửa điện tử", "version": "5.0", "hosting": "Viettel IDC",
     "url": "https://dichvucong.tuyenquang.gov.vn", "users": 1850, "records": 980_000, "data_gb": 410,
     "security_level": 3, "contract_end": "31/12/2026",
     "endpoints": "Cổng Dịch vụ công quốc gia; NDXP; CSDL quốc gia về dân cư", "yearly_cost_vnd": 950_000_000,
     "capability": 4, "vendor_support": 3},
    {"code": "hagiang-qlvb", "name": "Hệ thống quản lý văn bản và điều hành tỉnh Hà Giang",
     "system_type": "Văn bản điều hành", "agency": "000.00.01.H22", "new_unit": "08", "vendor": "VNPT",
     "product": "VNPT iOffice", "version": "4.0", "hosting": "Trung tâm tích hợp dữ liệu tỉnh Hà Giang",
     "users": 3200, "records": 2_400_000, "data_gb": 900, "security_level": 2,
     "endpoints": "Trục liên thông văn bản quốc gia", "yearly_cost_vnd": 600_000_000, "capability": 4,
     "vendor_support": 4},
    {"code": "tuyenquang-qlvb", "name": "Hệ thống quản lý văn bản và điều hành tỉnh Tuyên Quang",
     "system_type": "Văn bản điều hành", "agency": "000.00.01.H60", "new_unit": "08", "vendor": "Viettel",
     "product": "Viettel vOffice", "version": "2.5", "hosting": "Viettel IDC", "users": 2900,
     "records": 2_050_000, "data_gb": 760, "security_level": 2, "endpoints": "Trục liên thông văn bản quốc gia",
     "yearly_cost_vnd": 540_000_000, "capability": 4, "vendor_support": 3},
    {"code": "hagiang-mail", "name": "Hệ thống thư điện tử công vụ tỉnh Hà Giang", "system_type": "Thư điện tử",
     "agency": "000.00.12.H22", "new_unit": "08", "vendor": "Synacor (mã nguồn mở)",
     "product": "Zimbra Collaboration OSE", "version": "8.8.15", "hosting": "Trung tâm tích hợp dữ liệu tỉnh Hà Giang",
     "url": "https://mail.hagiang.gov.vn", "users": 4100, "records": 4100, "data_gb": 950, "security_level": 2,
     "yearly_cost_vnd": 150_000_000, "capability": 3, "vendor_support": 2,
     "notes": "Tự vận hành; chưa có bản sao lưu ngoài tỉnh."},
    {"code": "tuyenquang-mail", "name": "Hệ thống thư điện tử công vụ tỉnh Tuyên Quang",
     "system_type": "Thư điện tử", "agency": "000.00.09.H60", "new_unit": "08", "vendor": "Synacor (mã nguồn mở)",
     "product": "Zimbra Collaboration OSE", "version": "9.0", "hosting": "Trung tâm dữ liệu tỉnh Tuyên Quang",
     "url": "https://mail.tuyenquang.gov.vn", "users": 3600, "records": 3600, "data_gb": 820, "security_level": 2,
     "yearly_cost_vnd": 120_000_000, "capability": 3, "vendor_support": 2},
    {"code": "hagiang-baocao", "name": "Hệ thống thông tin báo cáo tỉnh Hà Giang", "system_type": "Báo cáo",
     "agency": "000.00.01.H22", "new_unit": "08", "vendor": "VNPT", "product": "VNPT Report",
     "users": 650, "records": 38_000, "security_level": 2, "endpoints": "Hệ thống thông tin báo cáo Chính phủ",
     "yearly_cost_vnd": 200_000_000, "capability": 3, "vendor_support": 3},
    {"code": "tuyenquang-baocao", "name": "Hệ thống thông tin báo cáo tỉnh Tuyên Quang", "system_type": "Báo cáo",
     "agency": "000.00.01.H60", "new_unit": "08", "vendor": "Viettel", "product": "Viettel eReport",
     "users": 720, "records": 41_500, "security_level": 2, "endpoints": "Hệ thống thông tin báo cáo Chính phủ",
     "yearly_cost_vnd": 180_000_000, "capability": 3, "vendor_support": 3},
]


def filled_template(rows: list[dict]) -> io.BytesIO:
    """The template with `rows` typed in, the way an IT officer fills it."""
    blank = io.BytesIO()
    spreadsheet.write_template(blank)
    blank.seek(0)
    book = load_workbook(blank)
    sheet = book[spreadsheet.SHEET]
    columns = {c.field: index for index, c in enumerate(spreadsheet.COLUMNS, start=1)}
    for number, row in enumerate(rows, start=2):
        for field, value in row.items():
            sheet.cell(row=number, column=columns[field], value=value)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def load_demo(stdout) -> dict:
    """Runs after the organisation demo (hopnhat.org.demo), whose agencies the register names by code."""
    report = spreadsheet.import_register(filled_template(SYSTEMS), actor="system:demo", name="demo-ra-soat.xlsx")
    if not report.ok:
        raise RuntimeError(report.summary())
    keeper = OldSystem.objects.get(code="hagiang-motcua")
    if keeper.decision == Decision.UNDECIDED:
        decisions.decide(keeper, Decision.KEEP, actor="system:demo", wave=1,
                         planned_start=datetime.date(2025, 9, 1), planned_end=datetime.date(2025, 10, 31),
                         rationale="Nhiều hồ sơ và người dùng nhất, hợp đồng VNPT còn hỗ trợ; giữ làm hệ thống "
                                   "một cửa duy nhất của tỉnh Tuyên Quang mới.")
    other = OldSystem.objects.get(code="tuyenquang-motcua")
    if other.decision == Decision.UNDECIDED:
        decisions.decide(other, Decision.MIGRATE, actor="system:demo", into=keeper, wave=1,
                         planned_start=datetime.date(2025, 9, 1), planned_end=datetime.date(2025, 10, 31),
                         rationale="Chuyển toàn bộ hồ sơ và lịch sử xử lý sang hệ thống giữ lại, giữ mã hồ sơ cũ.")
    summary = {"systems": OldSystem.objects.count(), "created": len(report.created),
               "updated": len(report.updated), "unchanged": len(report.unchanged)}
    stdout.write(f"    Rà soát hệ thống cũ / inventory: {summary['systems']} hệ thống / systems "
                 f"({summary['created']} mới / new, {summary['updated']} cập nhật / updated, "
                 f"{summary['unchanged']} không đổi / unchanged)\n")
    return summary
