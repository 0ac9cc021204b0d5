"""The register as IT teams fill it: an Excel template (one row per old system, Vietnamese headers, drop-down
lists, an instructions sheet) and its import.

The import upserts by system code, so sending the same file twice changes nothing. The file is read in one
transaction with a savepoint per row: a bad row is reported by its sheet row number with the reason and leaves
nothing behind, while the good rows are kept. A dry run does the same work and rolls everything back.
"""

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from hopnhat.core import archives, audit
from hopnhat.core.exports import append_row, set_cell
from hopnhat.core.text import fold, nfc
from hopnhat.org.models import AdminUnit, Agency, Level, Vintage

from .models import OldSystem, SystemType

SHEET = "Hệ thống"
INSTRUCTIONS = "Hướng dẫn"

# What people pick in the drop-down; the import also takes the codes (portal, tthc…) and the full labels.
TYPE_LABELS = {
    SystemType.PORTAL: "Cổng thông tin điện tử",
    SystemType.TTHC: "Thủ tục hành chính",
    SystemType.DOCUMENTS: "Văn bản điều hành",
    SystemType.EMAIL: "Thư điện tử",
    SystemType.REPORTING: "Báo cáo",
    SystemType.OTHER: "Khác",
}
_TYPE_KEYS = {fold(key): str(value) for value, label in TYPE_LABELS.items()
              for key in (value, label, SystemType(value).label)}

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_GROUPED = re.compile(r"^\d{1,3}([ .,]\d{3})+$")


class CellError(ValueError):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _code(value) -> str:
    code = _text(value).lower()
    if not _SLUG.match(code):
        raise CellError(f"mã hệ thống “{code}” chỉ gồm chữ thường không dấu, số và dấu gạch ngang / the system "
                        f"code must be a slug like portal-hagianggovvn")
    return code


def _system_type(value) -> str:
    try:
        return _TYPE_KEYS[fold(_text(value))]
    except KeyError:
        raise CellError(f"loại hệ thống “{_text(value)}” không có trong danh sách / unknown system type; "
                        f"chọn / pick one of: {', '.join(TYPE_LABELS.values())}") from None


def _agency(value) -> Agency:
    code = _text(value).upper()
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise CellError(f"mã định danh cơ quan “{code}” không có trong danh mục / unknown agency code")
    return agency


def _new_unit(value) -> AdminUnit:
    units = AdminUnit.objects.filter(vintage=Vintage.NEW).exclude(level=Level.DISTRICT)
    text = _text(value)
    found = list(units.filter(code=text))
    if not found and text.isdigit():
        # Excel dropped the leading zeros: 8 may be province 08 or commune 00008; only one may exist.
        number = int(text)
        found = list(units.filter(code__in=[f"{number:02d}", f"{number:05d}"]))
        if len(found) > 1:
            raise CellError(f"mã đơn vị “{text}” mơ hồ ({' hoặc '.join(u.code for u in found)}); hãy nhập dạng văn "
                            f"bản có số 0 ở đầu / ambiguous unit code, type it as text with its leading zeros")
    if not found:
        raise CellError(f"mã đơn vị hành chính mới “{text}” không có (tỉnh 2 số, xã 5 số, từ 01/7/2025) "
                        f"/ unknown post-reform unit code")
    return found[0]


def _integer(value, what: str = "số") -> int:
    if isinstance(value, bool):
        raise CellError(f"{what} “{value}” không phải số nguyên / not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = _text(value)
        if text.isdecimal():  # not isdigit(): "²" is a digit that int() refuses (found by fuzzing)
            number = int(text)
        elif _GROUPED.match(text):  # 1.200.000.000 or 1,200,000,000 or 1 200 000 000
            number = int(re.sub(r"[ .,]", "", text))
        else:
            raise CellError(f"{what} “{text}” không phải số nguyên / not a whole number")
    if number < 0:
        raise CellError(f"{what} {number} không được âm / cannot be negative")
    return number


def _decimal(value) -> Decimal:
    text = _text(value).replace(",", ".") if not isinstance(value, int | float) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"dung lượng “{_text(value)}” không phải số / not a number") from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):  # found by fuzzing: 1e30 would not quantize
        raise CellError(f"dung lượng “{_text(value)}” không hợp lệ / not a valid size")
    return number.quantize(Decimal("0.01"))


def _level(what: str) -> Callable[[Any], int]:
    def parse(value) -> int:
        number = _integer(value, what)
        if not 1 <= number <= 5:
            raise CellError(f"{what} {number} ngoài khoảng 1–5 / must be 1 to 5")
        return number
    return parse


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise CellError(f"ngày “{text}” không đúng dạng dd/mm/yyyy / not a date")


def _multiline(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def _lines(value) -> str:
    return "\n".join(nfc(part) for part in re.split(r"[;\n]", _multiline(value)) if nfc(part))


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    parse: Callable[[Any], Any]
    required: bool = False
    width: int = 18
    help: str = ""
    example: str = ""
    empty: Any = None       # what a blank optional cell stores


COLUMNS = [
    Column("code", "Mã hệ thống", _code, True, 22,
           "Mã ngắn, duy nhất, trùng mã “system” trong tệp ánh xạ chuyển đổi; cổng cũ: portal-<tên miền viết liền>",
           "portal-hagianggovvn"),
    Column("name", "Tên hệ thống", _text, True, 40, "Tên đầy đủ", "Cổng thông tin điện tử tỉnh Hà Giang"),
    Column("system_type", "Loại hệ thống", _system_type, True, 24, "Chọn trong danh sách",
           TYPE_LABELS[SystemType.PORTAL]),
    Column("agency", "Mã định danh cơ quan chủ quản", _agency, True, 24,
           "Mã định danh điện tử V1V2V3.Z1Z2.Y1Y2.X1X2X3 (QĐ 20/2020/QĐ-TTg), cả cơ quan đã dừng",
           "000.00.12.H22"),
    Column("new_unit", "Mã đơn vị hành chính mới", _new_unit, True, 16,
           "Mã tỉnh (2 số) hoặc xã (5 số) sau 01/7/2025 mà hệ thống sẽ phục vụ", "08"),
    Column("vendor", "Nhà cung cấp", _text, help="Đơn vị phát triển / cung cấp", example="VNPT", empty=""),
    Column("product", "Sản phẩm", _text, example="VNPT Portal", empty=""),
    Column("version", "Phiên bản", _text, width=12, example="4.2", empty=""),
    Column("hosting", "Nơi đặt hệ thống", _text, width=24, example="Trung tâm dữ liệu tỉnh Hà Giang", empty=""),
    Column("url", "Địa chỉ truy cập", _text, width=30, example="https://hagiang.gov.vn", empty=""),
    Column("users", "Số người dùng", lambda v: _integer(v, "số người dùng"), width=14, help="Số tài khoản đang dùng",
           example="1250"),
    Column("records", "Số bản ghi", lambda v: _integer(v, "số bản ghi"), width=14,
           help="Tin bài, hồ sơ, văn bản, hộp thư… tuỳ loại hệ thống", example="48200"),
    Column("data_gb", "Dung lượng dữ liệu (GB)", _decimal, width=14, example="85,5"),
    Column("security_level", "Cấp độ an toàn thông tin (1–5)", _level("cấp độ"), width=14,
           help="Theo Nghị định 85/2016/NĐ-CP", example="3"),
    Column("contract_end", "Ngày hết hạn hợp đồng", _date, width=16, help="dd/mm/yyyy", example="31/12/2025"),
    Column("endpoints", "Điểm tích hợp", _lines, width=36, help="Các kết nối, ngăn cách bằng dấu ;",
           example="LGSP tỉnh; Cổng Dịch vụ công quốc gia", empty=""),
    Column("yearly_cost_vnd", "Chi phí hằng năm (VNĐ)", lambda v: _integer(v, "chi phí"), width=18,
           help="Chỉ ghi số, không ghi chữ", example="420000000"),
    Column("capability", "Năng lực chức năng (1–5)", _level("năng lực"), width=14,
           help="Tổ CNTT tự đánh giá: 1 rất hạn chế … 5 đáp ứng đầy đủ", example="4"),
    Column("vendor_support", "Hỗ trợ của nhà cung cấp (1–5)", _level("hỗ trợ"), width=14, example="3"),
    Column("notes", "Ghi chú", _multiline, width=40, empty=""),
]
_BY_HEADER = {fold(c.header): c for c in COLUMNS} | {fold(c.field): c for c in COLUMNS}
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def write_template(out: str | Path | BinaryIO, rows: int = 500) -> None:
    """The empty register with its drop-downs and an instructions sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    for index, column in enumerate(COLUMNS, start=1):
        cell = set_cell(sheet, 1, index, column.header + (" *" if column.required else ""))
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.field in ("agency", "new_unit", "code"):
            for row in range(2, rows + 2):  # text cells keep the leading zeros of 08 and 000.00.12.H22
                sheet.cell(row=row, column=index).number_format = "@"
        validation = _validation(column, f"{letter}2:{letter}{rows + 1}")
        if validation:
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 45

    guide = book.create_sheet(INSTRUCTIONS)
    append_row(guide, ["Cách điền / How to fill in"])
    guide["A1"].font = Font(bold=True, size=13)
    for line in (
        f"Mỗi dòng của trang “{SHEET}” là một hệ thống thông tin cũ của một đơn vị tham gia sắp xếp.",
        "Cột có dấu * là bắt buộc. Nhập lại cùng mã hệ thống sẽ cập nhật dòng cũ, không tạo bản sao.",
        "Các dòng lỗi được báo theo số dòng trong trang tính kèm lý do; các dòng đúng vẫn được ghi.",
        "Lệnh nhập / import: hopnhat inventory import TỆP.xlsx [--dry-run]",
    ):
        append_row(guide, [line])
    append_row(guide, [])
    append_row(guide, ["Cột", "Bắt buộc", "Ý nghĩa", "Ví dụ"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        append_row(guide, [column.header, "có" if column.required else "", column.help, column.example])
    append_row(guide, [])
    append_row(guide, ["Loại hệ thống", "", "Giá trị được chấp nhận"])
    for label in TYPE_LABELS.values():
        append_row(guide, ["", "", label])
    for letter, width in zip("ABCD", (34, 10, 70, 40), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(out)


def _validation(column: Column, cells: str) -> DataValidation | None:
    prompt = column.help or None
    if column.field == "system_type":
        validation = DataValidation(type="list", formula1='"' + ",".join(TYPE_LABELS.values()) + '"',
                                    allow_blank=True, showErrorMessage=True,
                                    error="Chọn một loại trong danh sách")
    elif column.field in ("security_level", "capability", "vendor_support"):
        validation = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True, showErrorMessage=True,
                                    error="Chỉ nhận 1, 2, 3, 4 hoặc 5")
    elif column.field in ("users", "records", "yearly_cost_vnd"):
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, error="Chỉ ghi số nguyên không âm")
    elif column.field == "contract_end":
        validation = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                    showErrorMessage=True, error="Nhập ngày dd/mm/yyyy")
    else:
        return None
    if prompt:
        validation.prompt, validation.showInputMessage = prompt, True
    validation.add(cells)
    return validation


@dataclass
class RowError:
    row: int
    code: str
    message: str
    sheet: str = SHEET

    def __str__(self) -> str:
        return f"{self.sheet}!{self.row}{f' ({self.code})' if self.code else ''}: {self.message}"


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"ok": self.ok, "file": self.file, "dry_run": self.dry_run, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "errors": [{"sheet": e.sheet, "row": e.row, "code": e.code, "message": e.message}
                           for e in self.errors]}

    def summary(self) -> str:
        head = (f"{'(thử / dry run) ' if self.dry_run else ''}{self.file}: thêm {len(self.created)}, "
                f"cập nhật {len(self.updated)}, không đổi {len(self.unchanged)}, lỗi {len(self.errors)} "
                f"/ created, updated, unchanged, errors")
        return "\n".join([head, *(f"  ✗ {error}" for error in self.errors)])


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a workbook, no register sheet, missing columns)."""


def _open(source: str | Path | BinaryIO, name: str):
    try:
        archives.check_import_file(source, name)  # size, entries, expansion: before openpyxl reads anything
    except archives.ImportTooLarge as exc:
        raise ImportFileError(str(exc)) from None
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(f"{name}: không đọc được tệp Excel / not a readable .xlsx file ({exc})") from exc
    if SHEET in book.sheetnames:
        return book[SHEET]
    sheets = [s for s in book.sheetnames if s != INSTRUCTIONS]
    if not sheets:
        raise ImportFileError(f"{name}: không có trang “{SHEET}” / no register sheet")
    return book[sheets[0]]


def _header_map(header: tuple, name: str, sheet: str) -> dict[int, Column]:
    mapping = {}
    for index, value in enumerate(header):
        column = _BY_HEADER.get(fold(_text(value)))
        if column:
            mapping[index] = column
    missing = [c.header for c in COLUMNS if c.required and c not in mapping.values()]
    if missing:
        raise ImportFileError(f"{name}: trang “{sheet}” thiếu cột / the sheet lacks the columns: {', '.join(missing)}")
    return mapping


def _parse_row(values: tuple, mapping: dict[int, Column]) -> tuple[dict[str, Any], list[str]]:
    parsed, problems = {}, []
    for index, column in mapping.items():
        raw = values[index] if index < len(values) else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if column.required:
                problems.append(f"thiếu “{column.header}” / “{column.header}” is required")
            else:
                parsed[column.field] = column.empty
            continue
        try:
            parsed[column.field] = column.parse(raw)
        except CellError as exc:
            problems.append(f"cột “{column.header}”: {exc}")
    return parsed, problems


def _upsert(values: dict[str, Any]) -> str:
    system = OldSystem.objects.filter(code=values["code"]).first()
    if system is None:
        system = OldSystem(**values)
        system.full_clean()
        system.save()
        return "created"
    # Parsed cells are already normalised the way save() stores them, so equal means nothing to write.
    if all(getattr(system, name) == value for name, value in values.items()):
        return "unchanged"
    for name, value in values.items():
        setattr(system, name, value)
    system.full_clean()
    system.save()
    return "updated"


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def import_register(source: str | Path | BinaryIO, *, actor, dry_run: bool = False, name: str | None = None,
                    may_register: Callable[[Agency, AdminUnit], bool] | None = None) -> ImportReport:
    """Read a filled template. `may_register(agency, new_unit)` limits the rows a web upload may write."""
    name = name or (Path(source).name if isinstance(source, str | Path) else "upload.xlsx")
    sheet = _open(source, name)
    rows = sheet.iter_rows(values_only=True)
    mapping = _header_map(next(rows, ()), name, sheet.title)
    report = ImportReport(file=name, dry_run=dry_run)
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            parsed, problems = _parse_row(values, mapping)
            code = parsed.get("code", "")
            if code in seen:
                problems.append(f"mã hệ thống trùng với dòng {seen[code]} / duplicate code, first on row "
                                f"{seen[code]}")
            elif code:
                seen[code] = number
            agency, unit = parsed.get("agency"), parsed.get("new_unit")
            if agency and unit and may_register is not None and not may_register(agency, unit):
                problems.append(f"cơ quan {agency.code} và đơn vị {unit.code} ngoài phạm vi của bạn / neither the "
                                f"agency nor the new unit is yours")
            if problems:
                report.errors.append(RowError(number, code, "; ".join(problems), sheet.title))
                continue
            try:
                with transaction.atomic():
                    getattr(report, _upsert(parsed)).append(code)
            except ValidationError as exc:
                report.errors.append(RowError(number, code, _validation_message(exc), sheet.title))
        if report.created or report.updated:
            audit.record(actor, "inventory.import", None, file=name, created=report.created,
                         updated=report.updated, errors=len(report.errors))
        if dry_run:
            transaction.set_rollback(True)
    return report
