"""Giấy tiếp nhận hồ sơ và hẹn trả kết quả (form 01 of TT 01/2018/TT-VPCP, A5): the slip the applicant takes home
from the counter, as a PDF.

It says who received what and when the result is due (working days, workdays.py), and carries a QR code that opens
the public look-up for the dossier's code; the look-up still asks for the last four phone digits, so the slip alone
does not disclose the dossier. Vietnamese needs a TrueType font with its glyphs embedded: DejaVu Sans (Debian
fonts-dejavu-core, installed by scripts/services.sh ensure_fonts; HOPNHAT_SLIP_FONT_DIR points elsewhere).
"""

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hopnhat.core.workdays import working_days_between
from hopnhat.org.models import Membership

from .models import Action, Dossier, DossierEvent

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = {"Slip": "DejaVuSans.ttf", "Slip-Bold": "DejaVuSans-Bold.ttf"}


@dataclass
class SlipData:
    agency: str
    agency_code: str
    code: str
    procedure: str
    procedure_code: str
    applicant_name: str
    received_at: str
    due_date: str
    working_days: int | None
    official: str
    official_title: str
    lookup_url: str
    papers: list[dict] = field(default_factory=list)
    other_codes: list[str] = field(default_factory=list)


def lookup_url(code: str, request=None) -> str:
    """The absolute address of the public look-up with the code filled in: the request's own host when there is
    one (what the official's browser reached), else WAGTAILADMIN_BASE_URL."""
    path = f"{reverse('dossiers:lookup')}?{urlencode({'code': code})}"
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _official(event: DossierEvent | None, agency_id: int) -> tuple[str, str]:
    """(name, title) of whoever received it: our user's real name and post at the agency, or the name an old
    system recorded as it was."""
    if event is None:
        return "", ""
    user = get_user_model().objects.filter(username=event.actor).select_related("person").first()
    if user is None:
        return event.actor, event.actor_title
    person = getattr(user, "person", None)
    name = person.full_name if person else (f"{user.last_name} {user.first_name}".strip() or user.get_username())
    title = event.actor_title
    if person and not title:
        post = Membership.objects.filter(person=person, agency_id=agency_id, end__isnull=True).select_related(
            "position").first()
        title = (post.title or (post.position.name if post.position else "")) if post else ""
    return name, title


def slip_data(dossier: Dossier, request=None) -> SlipData:
    receipt = dossier.events.filter(action=Action.RECEIVE).order_by("at", "id").first()
    official, title = _official(receipt, dossier.receiving_agency_id)
    received = timezone.localtime(dossier.received_at)
    return SlipData(
        agency=dossier.receiving_agency.name, agency_code=dossier.receiving_agency.code or "",
        code=dossier.code, procedure=dossier.procedure.name, procedure_code=dossier.procedure.code,
        applicant_name=dossier.applicant_name, received_at=f"{received:%H} giờ {received:%M} phút, "
                                                              f"ngày {received:%d/%m/%Y}",
        due_date=f"{dossier.due_date:%d/%m/%Y}" if dossier.due_date else "",
        working_days=working_days_between(received.date(), dossier.due_date) if dossier.due_date else None,
        official=official, official_title=title, lookup_url=lookup_url(dossier.code, request),
        # The papers the official ticked at the counter (actions.receive keeps them on the receipt event).
        papers=[p for p in (receipt.attachments if receipt else []) if p.get("name")],
        other_codes=sorted(a for a in dossier.aliases.values_list("code", flat=True) if a != dossier.code),
    )


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    folder = Path(getattr(settings, "HOPNHAT_SLIP_FONT_DIR", FONT_DIR))
    for name, filename in FONTS.items():
        path = folder / filename
        if not path.exists():
            raise ImproperlyConfigured(
                f"thiếu phông chữ tiếng Việt {path} (cài fonts-dejavu-core: scripts/services.sh ensure_fonts) / "
                f"Vietnamese font {path} is missing (install fonts-dejavu-core or set HOPNHAT_SLIP_FONT_DIR)")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # so <b> in a paragraph picks the bold face
    pdfmetrics.registerFontFamily("Slip", normal="Slip", bold="Slip-Bold", italic="Slip", boldItalic="Slip-Bold")


def render_pdf(data: SlipData) -> bytes:
    """The slip as an A5 PDF with the font subset embedded (text stays searchable and copyable)."""
    _register_fonts()
    base = ParagraphStyle("slip", fontName="Slip", fontSize=9.5, leading=12.5)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=center, fontName="Slip-Bold", fontSize=12, leading=15, spaceBefore=6)
    head = ParagraphStyle("head", parent=center, fontSize=8, leading=10.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"))

    def p(text, style=base):
        return Paragraph(text, style)

    def line(label_vi, label_en, value):
        return p(f"{escape(label_vi)} <font size=7 color='#555555'>({escape(label_en)})</font>: <b>{value}</b>")

    b = escape
    header = Table([[p(f"<b>{b(data.agency.upper())}</b>", head),
                     p("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><u>Độc lập - Tự do - Hạnh phúc</u>", head)]],
                   colWidths=[44 * mm, 80 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story = [
        header,
        p("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", title),
        p("Receipt of dossier and appointment for the result", ParagraphStyle("sub", parent=small,
                                                                              alignment=TA_CENTER)),
        p(f"Mã hồ sơ / Dossier code: <b>{b(data.code)}</b>", center),
        Spacer(0, 3 * mm),
        p(f"{b(data.agency)} đã tiếp nhận hồ sơ của / has received the dossier of:"),
        line("Ông/Bà", "applicant", b(data.applicant_name)),
        line("Thủ tục", "procedure", f"{b(data.procedure)} ({b(data.procedure_code)})"),
    ]
    if data.other_codes:
        story.append(line("Mã hồ sơ cũ", "old codes", b(", ".join(data.other_codes))))
    story.append(p("Thành phần hồ sơ đã nhận <font size=7 color='#555555'>(papers received)</font>:"))
    if data.papers:
        story += [p(f"{i}. {b(x['name'])} — {int(x.get('copies') or 1)} bản", base)
                  for i, x in enumerate(data.papers, 1)]
    else:
        story.append(p("(chưa ghi danh mục giấy tờ khi tiếp nhận / papers not recorded at reception)", small))
    days = f" — {data.working_days} ngày làm việc" if data.working_days is not None else ""
    story += [
        line("Thời gian tiếp nhận", "received", b(data.received_at)),
        line("Ngày hẹn trả kết quả", "result due", f"{b(data.due_date or 'chưa xác định')}{days}"),
        Spacer(0, 3 * mm),
    ]
    qr = QrCodeWidget(data.lookup_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    side = 30 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    signer = p(f"<b>NGƯỜI TIẾP NHẬN</b><br/><font size=7>(official who received it)</font><br/><br/><br/>"
               f"<b>{b(data.official)}</b><br/>{b(data.official_title)}", center)
    scan = p("Quét mã để tra cứu tình trạng hồ sơ; trang tra cứu hỏi 4 số cuối điện thoại đã đăng ký. "
             "<font color='#555555'>Scan to look the dossier up; the page asks for the last 4 phone digits.</font>"
             f"<br/>{b(data.lookup_url)}", small)
    bottom = Table([[drawing, scan, signer]], colWidths=[32 * mm, 44 * mm, 48 * mm])
    bottom.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(bottom)

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A5, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=10 * mm,
                            bottomMargin=10 * mm, title=f"Giấy tiếp nhận hồ sơ {data.code}",
                            author=data.agency, subject="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    doc.build(story)
    return out.getvalue()
