"""The one-stop forms of TT 01/2018/TT-VPCP (A5) as PDFs: 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả (the slip the
applicant takes home from the counter), and, where the flow produces them, 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ
sơ (a supplement was requested), 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ (refused at reception) and 04 Phiếu xin
lỗi và hẹn lại ngày trả kết quả (overdue). Each carries the form's parts: the managing and the receiving body by
their real names, the number (Số: …/TNHS, /PBSHS, /PTCHS, /PXLHS), the place and date, the applicant's address and
phone, and the signatures the form asks for.

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

from hopnhat.core.workdays import add_working_days, working_days_between
from hopnhat.org.models import Membership

from .models import Action, Dossier, DossierEvent, Status

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
    # form 01's other parts (issue 19)
    form: str = "01"
    number: str = ""
    managing_body: str = ""
    receiving_body: str = ""
    place_date: str = ""
    applicant_address: str = ""
    applicant_phone: str = ""
    processing_days: int | None = None
    due_at: str = ""
    reason: str = ""          # 02: what to supplement; 03: why refused; 04: why late
    new_date: str = ""        # 04: the new appointment


# form → (title, number suffix, who signs)
FORMS = {
    "01": ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "TNHS", "NGƯỜI TIẾP NHẬN HỒ SƠ"),
    "02": ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "PBSHS", "NGƯỜI HƯỚNG DẪN"),
    "03": ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "PTCHS", "NGƯỜI TIẾP NHẬN HỒ SƠ"),
    "04": ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "PXLHS", "THỦ TRƯỞNG CƠ QUAN"),
}
FORM_LABELS = {"02": ("In phiếu yêu cầu bổ sung (mẫu 02)", "Print the supplement request (form 02)"),
               "03": ("In phiếu từ chối tiếp nhận (mẫu 03)", "Print the refusal (form 03)"),
               "04": ("In phiếu xin lỗi, hẹn lại (mẫu 04)", "Print the apology and new date (form 04)")}


def lookup_url(code: str, request=None) -> str:
    """The absolute address of the public look-up with the code filled in: the request's own host when there is
    one (what the official's browser reached), else WAGTAILADMIN_BASE_URL."""
    path = f"{reverse('dossiers:lookup')}?{urlencode({'code': code})}"
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def receiving_body(agency) -> str:
    """The body that receives at the counter, by its real name: a commune's or ward's one-door section
    (Bộ phận Một cửa UBND phường Ba Đình), a provincial centre or department by its own name."""
    name = agency.name
    if name.startswith(("UBND ", "Ủy ban nhân dân ")):
        return f"Bộ phận Một cửa {name}"
    return name


def managing_body(agency) -> str:
    """Tên cơ quan chủ quản: the parent agency (UBND tỉnh Tuyên Quang above its Sở), or the agency itself."""
    parent = agency.parent
    return parent.name if parent is not None else agency.name


def place_name(agency) -> str:
    """The place on the date line: the unit's short name ("Ba Đình", "Tuyên Quang")."""
    unit = agency.unit
    if unit is None:
        return ""
    return getattr(unit, "short_name", "") or unit.name


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


def _date_line(place: str, when) -> str:
    return f"{place + ', ' if place else ''}ngày {when:%d} tháng {when:%m} năm {when:%Y}"


def forms_for(dossier: Dossier, today=None) -> list[str]:
    """The forms 02–04 the dossier's flow has produced: a supplement asked for, a refusal, a late dossier."""
    out = []
    if dossier.events.filter(action=Action.REQUEST_SUPPLEMENT).exists():
        out.append("02")
    if dossier.status == Status.REFUSED:
        out.append("03")
    if dossier.is_overdue(today):
        out.append("04")
    return out


def slip_data(dossier: Dossier, request=None, form: str = "01", today=None) -> SlipData:
    receipt = dossier.events.filter(action=Action.RECEIVE).order_by("at", "id").first()
    official, title = _official(receipt, dossier.receiving_agency_id)
    received = timezone.localtime(dossier.received_at)
    agency = dossier.receiving_agency
    seq = dossier.code.rsplit("-", 1)[-1]
    today = today or timezone.localdate()
    data = SlipData(
        agency=agency.name, agency_code=agency.code or "",
        code=dossier.code, procedure=dossier.procedure.name, procedure_code=dossier.procedure.code,
        applicant_name=dossier.applicant_name, received_at=f"{received:%H} giờ {received:%M} phút, "
                                                              f"ngày {received:%d/%m/%Y}",
        due_date=f"{dossier.due_date:%d/%m/%Y}" if dossier.due_date else "",
        working_days=working_days_between(received.date(), dossier.due_date) if dossier.due_date else None,
        official=official, official_title=title, lookup_url=lookup_url(dossier.code, request),
        # The papers the official ticked at the counter (actions.receive keeps them on the receipt event).
        papers=[p for p in (receipt.attachments if receipt else []) if p.get("name")],
        other_codes=sorted(a for a in dossier.aliases.values_list("code", flat=True) if a != dossier.code),
        form=form, number=f"Số: {seq}/{FORMS[form][1]}", managing_body=managing_body(agency),
        receiving_body=receiving_body(agency), place_date=_date_line(place_name(agency), received),
        applicant_address=dossier.applicant_address, applicant_phone=getattr(dossier, "applicant_phone", ""),
        processing_days=dossier.procedure.processing_days,
        due_at=f"ngày {dossier.due_date:%d/%m/%Y}" if dossier.due_date else "",
    )
    if form == "02":
        asked = dossier.events.filter(action=Action.REQUEST_SUPPLEMENT).order_by("-at", "-id").first()
        data.reason = asked.note if asked else ""
        if asked:
            data.place_date = _date_line(place_name(agency), timezone.localtime(asked.at))
            data.official, data.official_title = _official(asked, dossier.agency_id)
    elif form == "03":
        refused = dossier.events.filter(status_to=Status.REFUSED).order_by("-at", "-id").first()
        data.reason = refused.note if refused else ""
        if refused:
            data.place_date = _date_line(place_name(agency), timezone.localtime(refused.at))
            data.official, data.official_title = _official(refused, dossier.agency_id)
    elif form == "04":
        data.place_date = _date_line(place_name(agency), today)
        data.new_date = f"{add_working_days(today, 1):%d/%m/%Y}"
        head = dossier.agency
        data.official, data.official_title = "", f"Thủ trưởng {head.name}"
    return data


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
    """The form as an A5 PDF with the font subset embedded (text stays searchable and copyable)."""
    _register_fonts()
    base = ParagraphStyle("slip", fontName="Slip", fontSize=9, leading=11.5)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=center, fontName="Slip-Bold", fontSize=11.5, leading=14, spaceBefore=4)
    head = ParagraphStyle("head", parent=center, fontSize=8, leading=10)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"))
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10)

    def p(text, style=base):
        return Paragraph(text, style)

    b = escape
    form_title, _suffix, signer_title = FORMS[data.form]
    header = Table([[p(f"{b(data.managing_body.upper())}<br/><b>{b(data.receiving_body.upper())}</b><br/>"
                       f"{b(data.number)}", head),
                     p("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><u><b>Độc lập - Tự do - Hạnh phúc</b></u><br/>"
                       f"<i>{b(data.place_date)}</i>", head)]],
                   colWidths=[52 * mm, 72 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story = [header, p(form_title, title), p(f"Mã hồ sơ: <b>{b(data.code)}</b>", center), Spacer(0, 2 * mm)]
    applicant = [p(f"Ông/Bà: <b>{b(data.applicant_name)}</b>"),
                 p(f"Địa chỉ: {b(data.applicant_address or '…')}"),
                 p(f"Số điện thoại: {b(data.applicant_phone or '…')}"),
                 p(f"Nội dung yêu cầu giải quyết: {b(data.procedure)} ({b(data.procedure_code)})")]
    if data.form == "01":
        story += [p(f"{b(data.receiving_body)} tiếp nhận hồ sơ của:"), *applicant]
        if data.other_codes:
            story.append(p(f"Mã hồ sơ cũ: {b(', '.join(data.other_codes))}"))
        story.append(p("1. Thành phần hồ sơ nộp gồm:"))
        if data.papers:
            rows = [[p("<b>TT</b>", cell), p("<b>Tên loại giấy tờ</b>", cell), p("<b>Hình thức</b>", cell),
                     p("<b>Số lượng</b>", cell)]]
            rows += [[p(str(i), cell), p(b(x["name"]), cell), p(b(x.get("form") or "Bản chính/bản sao"), cell),
                      p(f"{int(x.get('copies') or 1)} bản", cell)] for i, x in enumerate(data.papers, 1)]
            table = Table(rows, colWidths=[10 * mm, 70 * mm, 26 * mm, 18 * mm], repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#555555")),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(table)
        else:
            story.append(p("(chưa ghi danh mục giấy tờ khi tiếp nhận)", small))
        days = f"{data.processing_days} ngày làm việc" if data.processing_days is not None else "…"
        story += [
            p("2. Số lượng hồ sơ: 01 (bộ)"),
            p(f"3. Thời gian giải quyết hồ sơ theo quy định là: {b(days)}"),
            p(f"4. Thời gian nhận hồ sơ: {b(data.received_at)}"),
            p(f"5. Thời gian trả kết quả giải quyết hồ sơ: <b>{b(data.due_date or 'chưa xác định')}</b>"
              + (f" — {data.working_days} ngày làm việc" if data.working_days is not None else "")),
            p(f"6. Đăng ký nhận kết quả tại: {b(data.receiving_body)}"),
        ]
    elif data.form == "02":
        story += [p(f"Kính gửi: Ông/Bà <b>{b(data.applicant_name)}</b>"), *applicant[1:],
                  p(f"{b(data.receiving_body)} đã tiếp nhận hồ sơ của Ông/Bà ({b(data.received_at)}). Sau khi xem "
                    "xét, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:"),
                  p(f"<b>{b(data.reason or '…')}</b>"),
                  p("Thời hạn giải quyết tạm dừng cho đến khi Ông/Bà nộp bổ sung; ngày hẹn trả được lùi tương ứng. "
                    f"Nếu có vướng mắc, xin liên hệ {b(data.receiving_body)} để được hướng dẫn."),
                  p("Xin trân trọng cảm ơn./.")]
    elif data.form == "03":
        story += [p(f"Kính gửi: Ông/Bà <b>{b(data.applicant_name)}</b>"), *applicant[1:],
                  p(f"Qua xem xét, {b(data.receiving_body)} thông báo không tiếp nhận, giải quyết hồ sơ này với "
                    "lý do cụ thể như sau:"), p(f"<b>{b(data.reason or '…')}</b>"),
                  p("Xin thông báo cho Ông/Bà được biết và thực hiện./.")]
    else:   # 04
        story += [p(f"Kính gửi: Ông/Bà <b>{b(data.applicant_name)}</b>"), *applicant[1:],
                  p(f"Ngày {b(data.received_at.rpartition('ngày ')[2])}, {b(data.receiving_body)} tiếp nhận giải "
                    f"quyết hồ sơ của Ông/Bà. Thời hạn trả kết quả: {b(data.due_date or '…')}."),
                  p("Tuy nhiên đến nay, chúng tôi chưa trả kết quả giải quyết hồ sơ của Ông/Bà. Sự chậm trễ này đã "
                    "gây phiền hà cho Ông/Bà. Chúng tôi xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho "
                    f"Ông/Bà vào ngày <b>{b(data.new_date)}</b>."),
                  p("Xin trân trọng cảm ơn./.")]
    story.append(Spacer(0, 3 * mm))
    sign = "<font size=7><i>(Ký và ghi rõ họ tên)</i></font>"
    official = p(f"<b>{b(signer_title)}</b><br/>{sign}<br/><br/><br/><b>{b(data.official)}</b><br/>"
                 f"{b(data.official_title)}", center)
    if data.form == "01":
        applicant_sign = p(f"<b>NGƯỜI NỘP HỒ SƠ</b><br/>{sign}<br/><br/><br/><b>{b(data.applicant_name)}</b>", center)
        signatures = Table([[applicant_sign, official]], colWidths=[62 * mm, 62 * mm])
    else:
        signatures = Table([["", official]], colWidths=[62 * mm, 62 * mm])
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(signatures)
    if data.form == "01":
        qr = QrCodeWidget(data.lookup_url, barLevel="M")
        x0, y0, x1, y1 = qr.getBounds()
        side = 24 * mm
        drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
        drawing.add(qr)
        scan = p("Quét mã để tra cứu tình trạng hồ sơ; trang tra cứu hỏi 4 số cuối điện thoại đã đăng ký."
                 f"<br/>{b(data.lookup_url)}", small)
        bottom = Table([[drawing, scan]], colWidths=[28 * mm, 96 * mm])
        bottom.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story += [Spacer(0, 2 * mm), bottom]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A5, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=9 * mm,
                            bottomMargin=9 * mm, title=f"{form_title.capitalize()} {data.code}",
                            author=data.receiving_body, subject=f"Mẫu số {data.form}, Thông tư 01/2018/TT-VPCP")
    doc.build(story)
    return out.getvalue()
