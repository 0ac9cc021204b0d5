"""The registers printed in Decree 30/2020 Phụ lục IV's layout, for closing them on paper (đóng sổ, Điều 16, 22):
Excel (openpyxl) and PDF (reportlab, A4 landscape, DejaVu so Vietnamese prints). Both are built from `rows()`,
the register's lines in number order with the Phụ lục's columns.

    Sổ đăng ký văn bản đến: Ngày đến | Số đến | Tác giả | Số, ký hiệu | Ngày tháng | Tên loại và trích yếu nội dung |
                            Đơn vị hoặc người nhận | Ngày chuyển | Ký nhận | Ghi chú
    Sổ đăng ký văn bản đi:  Số, ký hiệu văn bản | Ngày tháng văn bản | Tên loại và trích yếu nội dung | Người ký |
                            Nơi nhận văn bản | Đơn vị, người nhận bản lưu | Số lượng bản | Ngày chuyển | Ký nhận |
                            Ghi chú
"""

import io

from django.utils import timezone

from hopnhat.core.text import fold
from hopnhat.org.models import Agency

from .models import Entry, Kind

COLUMNS = {
    Kind.INCOMING: ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu nội dung",
                    "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú"],
    Kind.OUTGOING: ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung", "Người ký",
                    "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận",
                    "Ghi chú"],
}
TITLES = {Kind.INCOMING: "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", Kind.OUTGOING: "SỔ ĐĂNG KÝ VĂN BẢN ĐI"}
WIDTHS = {Kind.INCOMING: [18, 12, 30, 20, 14, 60, 28, 14, 14, 22],
          Kind.OUTGOING: [22, 14, 60, 24, 34, 26, 10, 14, 14, 22]}
# the PDF's columns in millimetres (A4 landscape less the margins: 267 mm): a date (dd/mm/yyyy) fits on one line,
# "Số lượng bản" breaks between words, the trích yếu gets the room
PDF_WIDTHS_MM = {Kind.INCOMING: [22, 13, 32, 27, 20, 62, 33, 20, 16, 22],
                 Kind.OUTGOING: [27, 20, 66, 30, 36, 24, 15, 20, 14, 15]}
SERIF = {"Register": "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
         "Register-Bold": "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf"}


def entries(agency: Agency, year: int, kind: str):
    return (Entry.objects.filter(agency=agency, kind=kind, register__year=year, register__secret=False,
                                 number__isnull=False)
            .select_related("document", "routed_to").prefetch_related("assignments__department", "assignments__user")
            .order_by("number"))


def count(agency: Agency, year: int, kind: str) -> int:
    return entries(agency, year, kind).count()


def _date(value, with_time=False) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def _receivers(entry: Entry) -> str:
    names = [a.department.name + (f" ({a.user.get_full_name() or a.user.username})" if a.user_id else "")
             for a in entry.assignments.all() if a.role == "lead"]
    if not names and entry.routed_to_id:
        names = [entry.routed_to.name]
    return "; ".join(names) or entry.handover_note


def kept_copy(entry: Entry) -> str:
    """Đơn vị, người nhận bản lưu (Phụ lục IV, column 6): the văn thư's copy, and the drafting unit's, which a công
    văn's ký hiệu names after the issuer (UBND-VP → VP; Phụ lục I II.3); the drafter as a name otherwise — never
    an old system's name or an account."""
    groups = [g for g in (entry.document.code_notation or "").split("-") if g]
    if not entry.document.type_abbr and len(groups) >= 2:
        return f"VT, {groups[-1]}"
    return "VT"


def rows(agency: Agency, year: int, kind: str) -> list[list[str]]:
    out = []
    for e in entries(agency, year, kind):
        d = e.document
        # "Tên loại và trích yếu": the type once, even when the old system wrote it into the trích yếu too
        what = f"{d.type_name}: {d.subject}" if d.type_name and not fold(d.subject).startswith(
            fold(d.type_name)) else d.subject
        note = ("Quá hạn" if e.is_overdue() else "") + (f" Số cũ {e.old_number}" if e.old_number and
                                                        str(e.number) != e.old_number else "")
        if kind == Kind.INCOMING:
            handed = min((a.assigned_at for a in e.assignments.all()), default=None)
            out.append([_date(e.registered_at, True), str(e.number), d.issuer_name, d.number, _date(d.issued_date),
                        what, _receivers(e), _date(handed), "", note.strip()])
        else:
            recipients = "; ".join(r.get("name", "") for r in d.recipients if isinstance(r, dict))
            out.append([d.number, _date(d.issued_date), what, f"{d.signer_position} {d.signer_name}".strip(),
                        recipients, kept_copy(e),
                        str(d.issued_amount or ""), _date(e.registered_at), "", note.strip()])
    return out


def _header(agency: Agency, year: int, kind: str) -> list[str]:
    return [agency.name.upper(), f"{TITLES[kind]} NĂM {year}",
            f"In ngày {timezone.localdate():%d/%m/%Y} từ hệ thống quản lý văn bản"]


def to_xlsx(agency: Agency, year: int, kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "So den" if kind == Kind.INCOMING else "So di"
    thin = Side(style="thin")
    for i, line in enumerate(_header(agency, year, kind), start=1):
        ws.cell(row=i, column=1, value=line).font = Font(name="Times New Roman", bold=i < 3, size=13 if i < 3 else 11)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(COLUMNS[kind]))
        ws.cell(row=i, column=1).alignment = Alignment(horizontal="center")
    head = 5
    for col, (title, width) in enumerate(zip(COLUMNS[kind], WIDTHS[kind], strict=True), start=1):
        cell = ws.cell(row=head, column=col, value=title)
        cell.font = Font(name="Times New Roman", bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        ws.cell(row=head + 1, column=col, value=col).alignment = Alignment(horizontal="center")
        ws.cell(row=head + 1, column=col).border = Border(top=thin, bottom=thin, left=thin, right=thin)
        ws.column_dimensions[cell.column_letter].width = width
    for r, values in enumerate(rows(agency, year, kind), start=head + 2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.font = Font(name="Times New Roman")
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.freeze_panes = ws.cell(row=head + 2, column=1)
    ws.print_title_rows = f"{head}:{head + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(agency: Agency, year: int, kind: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold_face = _fonts()
    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11)
    centre = ParagraphStyle("centre", parent=cell, alignment=1)
    bold = ParagraphStyle("head", parent=cell, fontName=bold_face, alignment=1)
    title = ParagraphStyle("title", fontName=bold_face, fontSize=13, leading=17, alignment=1)
    small = ParagraphStyle("small", fontName=regular, fontSize=9, leading=11, alignment=1)
    widths = [w * mm for w in PDF_WIDTHS_MM[kind]]
    head = _header(agency, year, kind)
    centred = {0, 1, 4, 7} if kind == Kind.INCOMING else {1, 6, 7}   # dates and numbers, centred
    data = [[Paragraph(t, bold) for t in COLUMNS[kind]], [Paragraph(str(i), small) for i in range(1, 11)]]
    data += [[Paragraph(_escape(v), centre if i in centred else cell) for i, v in enumerate(row)]
             for row in rows(agency, year, kind)]
    table = Table(data, colWidths=widths, repeatRows=2)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=20 * mm, rightMargin=10 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=f"{TITLES[kind]} {year} — {agency.name}",
                            author=agency.name)

    def page_number(canvas, document):   # a register closed on paper has numbered pages (Điều 16, 22)
        canvas.saveState()
        canvas.setFont(regular, 9)
        canvas.drawCentredString(landscape(A4)[0] / 2, 8 * mm, f"Trang {document.page}")
        canvas.restoreState()

    doc.build([Paragraph(_escape(head[0]), title), Paragraph(_escape(head[1]), title), Paragraph(head[2], small),
               Spacer(1, 6 * mm), table], onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


def _fonts() -> tuple[str, str]:
    """The Decree's Times New Roman as GNU FreeSerif (every Vietnamese glyph); DejaVu, as the dossier slip, when
    FreeSerif is not installed."""
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if all(Path(p).exists() for p in SERIF.values()):
        for name, path in SERIF.items():
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, path))
        return "Register", "Register-Bold"
    from hopnhat.dossiers.slip import _register_fonts

    _register_fonts()
    return "Slip", "Slip-Bold"


def _escape(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def export(agency: Agency, year: int, kind: str, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(agency, year, kind)
    if fmt == "pdf":
        return to_pdf(agency, year, kind)
    raise ValueError(f"định dạng “{fmt}” không hỗ trợ (pdf, xlsx) / unsupported format")
