"""A slice of the merged Tuyên Quang province for the document tests: the province's UBND with its office and two
departments, old Hà Giang's UBND and Sở Nội vụ (merged into Tuyên Quang's), and UBND huyện Yên Sơn (abolished
on 1/7/2025, split between xã Yên Sơn, the default, and xã Thái Bình). Codes as in core.demo."""

import datetime
import zoneinfo
from types import SimpleNamespace

import pytest

from hopnhat.dossiers.tests.staffing import official
from hopnhat.org.agencies import close_agency, ensure_agency
from hopnhat.org.models import REFORM_DATE, Role

ACTOR = "system:test-documents"
VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, m, d, hh=9, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=VN)


def build_tq(close: bool = True):
    def make(code, name, parent=None, short=""):
        return ensure_agency(code=code, name=name, parent=parent, short_name=short, actor=ACTOR)[0]

    tq = make("000.00.00.H60", "UBND tỉnh Tuyên Quang", short="UBND")
    vp = make("000.00.01.H60", "Văn phòng UBND tỉnh Tuyên Quang", tq, "VP")
    noivu = make("000.00.02.H60", "Sở Nội vụ tỉnh Tuyên Quang", tq, "SNV")
    tuphap = make("000.00.03.H60", "Sở Tư pháp tỉnh Tuyên Quang", tq, "STP")
    yenson = make("000.00.36.H60", "UBND huyện Yên Sơn", tq, "UBND")
    x_yenson = make("000.00.49.H60", "UBND xã Yên Sơn", tq, "UBND")
    thaibinh = make("000.00.50.H60", "UBND xã Thái Bình", tq, "UBND")
    hg = make("000.00.00.H22", "UBND tỉnh Hà Giang", short="UBND")
    hg_noivu = make("000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", hg, "SNV")
    hg_tuphap = make("000.00.03.H22", "Sở Tư pháp tỉnh Hà Giang", hg, "STP")
    if close:
        close_agency(yenson, reason="split", on=REFORM_DATE, actor=ACTOR,
                     successors=[(x_yenson, "partial", True), (thaibinh, "partial", False)])
        close_agency(hg_noivu, reason="merged", on=REFORM_DATE, actor=ACTOR, successors=[(noivu, "whole", True)])
        close_agency(hg_tuphap, reason="merged", on=REFORM_DATE, actor=ACTOR, successors=[(tuphap, "whole", True)])
        close_agency(hg, reason="merged", on=REFORM_DATE, actor=ACTOR, successors=[(tq, "whole", True)])
    return SimpleNamespace(tq=tq, vp=vp, noivu=noivu, tuphap=tuphap, yenson=yenson, x_yenson=x_yenson,
                           thaibinh=thaibinh, hg=hg, hg_noivu=hg_noivu, hg_tuphap=hg_tuphap)


@pytest.fixture
def tq(db):
    return build_tq()


@pytest.fixture
def staff(tq):
    """Văn thư and a leader of UBND tỉnh, an official of its office, and an official of Sở Nội vụ."""
    return SimpleNamespace(
        clerk=official("vanthu.tq", "Hoàng Thị Lan", tq.tq, roles=(Role.DOC_CLERK,), title="Văn thư"),
        leader=official("lanhdao.tq", "Nguyễn Văn Hải", tq.tq, roles=(Role.DOC_LEADER,), title="Phó Chủ tịch"),
        officer=official("chuyenvien.vp", "Trần Minh Đức", tq.vp, title="Chuyên viên"),
        noivu=official("chuyenvien.snv", "Lê Thị Hoa", tq.noivu, title="Chuyên viên"),
        deputy=official("phochanh.vp", "Đỗ Văn Nam", tq.vp, roles=(Role.DOC_LEADER,), title="Phó Chánh Văn phòng"),
    )


def incoming_meta(**over):
    meta = {"number": "15/QĐ-UBND", "issuer_name": "UBND tỉnh Hà Giang", "issued_date": datetime.date(2025, 3, 4),
            "subject": "Về việc phê duyệt kế hoạch chuyển đổi số năm 2025", "signer_name": "Nguyễn Văn Sơn",
            "signer_position": "Chủ tịch", "urgency": 1, "page_count": 2, "field": "Chuyển đổi số"}
    meta.update(over)
    return meta


def make_pdf(text: str = "Quyết định phê duyệt kế hoạch", pages: int = 1) -> bytes:
    """A real PDF with `text` on each page (reportlab, DejaVu so Vietnamese survives extraction)."""
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i in range(pages):
        c.setFont("DejaVu", 12)
        c.drawString(72, 760, f"{text} — trang {i + 1}")
        c.showPage()
    c.save()
    return out.getvalue()
