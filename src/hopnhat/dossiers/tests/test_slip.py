"""The receipt and appointment slip: a PDF whose text (embedded DejaVu, so Vietnamese survives extraction) has the
code, the applicant's name with its diacritics, the papers, the due date after Tết and the official; whose QR code,
read back from the rendered page, opens the public look-up for that code — which still asks for the phone."""

import datetime
import io
import unicodedata

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from hopnhat.dossiers import actions, slip
from hopnhat.dossiers.models import Dossier, DossierAlias, Status

from .conftest import at
from .staffing import PROCESSOR, RECEIVER, client_for, official

pytestmark = pytest.mark.django_db
APPLICANT = "Trần Thị Thu Hường"


@pytest.fixture
def mai(hanoi):
    return official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=(RECEIVER,))


@pytest.fixture
def received(mai, hanoi, procedures):
    """A land dossier received at Ngọc Hà the Thursday before Tết 2026, with the papers ticked at the desk."""
    return actions.receive(mai, agency=hanoi.ngoc_ha, procedure=procedures.land, applicant_name=APPLICANT,
                           phone="0987 654 321", address="Số 40 Hoàng Hoa Thám, Phường Ngọc Hà",
                           at=at(2026, 2, 12, 15, 30), papers=[
                               {"name": "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất", "copies": 1},
                               {"name": "Bản gốc Giấy chứng nhận quyền sử dụng đất", "copies": 1},
                               {"name": "Hợp đồng chuyển nhượng đã công chứng", "copies": 2}])


def _text(pdf: bytes) -> str:
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())   # lines wrap where the A5 column ends


def _qr_codes(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def test_slip_pdf_has_the_dossier_in_vietnamese_and_a_qr_to_the_lookup(mai, received):
    answer = client_for(mai).get(f"/ho-so/can-bo/{received.pk}/phieu.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert f"giay-tiep-nhan-{received.code}.pdf" in answer["Content-Disposition"]
    pdf = b"".join(answer.streaming_content)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # the Vietnamese text is set in embedded DejaVu subsets (a standard Latin-1 font has no ệ, ữ, ơ…)
    embedded = {str(f["/BaseFont"]).split("+")[-1] for f in reader.pages[0]["/Resources"]["/Font"].values()
                if "/FontFile2" in f.get("/FontDescriptor", {})}
    assert embedded == {"DejaVuSans", "DejaVuSans-Bold"}
    text = _text(pdf)
    for expected in (received.code, APPLICANT, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "UBND phường Ngọc Hà",
                     "Đăng ký biến động quyền sử dụng đất", "Hợp đồng chuyển nhượng đã công chứng", "2 bản",
                     "15 giờ 30 phút, ngày 12/02/2026", "05/03/2026 — 10 ngày làm việc", "Ngô Thị Mai",
                     "Công chức một cửa"):
        assert expected in text, expected
    assert _qr_codes(pdf) == [f"http://testserver/ho-so/tra-cuu/?code={received.code}"]


def test_slip_follows_form_01(mai, received, tmp_path):
    """Form 01 of TT 01/2018/TT-VPCP: managing and receiving body by their real names, number, place and date, the
    applicant's address and phone, the papers with copies, both signatures."""
    pdf = b"".join(client_for(mai).get(f"/ho-so/can-bo/{received.pk}/phieu.pdf").streaming_content)
    text = _text(pdf)
    seq = received.code.rsplit("-", 1)[-1]
    for expected in ("BỘ PHẬN MỘT CỬA UBND PHƯỜNG NGỌC HÀ", f"Số: {seq}/TNHS",
                     "Ngọc Hà, ngày 12 tháng 02 năm 2026", "Địa chỉ: Số 40 Hoàng Hoa Thám, Phường Ngọc Hà",
                     "Số điện thoại: 0987654321", "Tên loại giấy tờ", "Số lượng", "NGƯỜI NỘP HỒ SƠ",
                     "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", "Thời gian giải quyết hồ sơ theo quy định là: "
                     "10 ngày làm việc", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"):
        assert expected in text, expected
    assert "Trung tâm Phục vụ" not in text


def test_forms_02_to_04_where_the_flow_produces_them(mai, received, hanoi):
    client = client_for(mai)
    assert slip.forms_for(received, today=received.due_date) == []
    assert client.get(f"/ho-so/can-bo/{received.pk}/phieu-02.pdf").status_code == 404
    processor = official("nguyen.van.an", "Nguyễn Văn An", hanoi.ngoc_ha, title="Công chức địa chính",
                         roles=(PROCESSOR,))
    actions.assign(mai, received, processor)
    actions.request_supplement(processor, received, note="Bản sao có chứng thực hợp đồng chuyển nhượng")
    received.refresh_from_db()
    assert slip.forms_for(received) == ["02"]
    page = client.get(f"/ho-so/can-bo/{received.pk}/").content.decode()
    assert "phieu-02.pdf" in page and "phieu-04.pdf" not in page
    text = _text(b"".join(client.get(f"/ho-so/can-bo/{received.pk}/phieu-02.pdf").streaming_content))
    for expected in ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "/PBSHS", "Kính gửi: Ông/Bà " + APPLICANT,
                     "Bản sao có chứng thực hợp đồng chuyển nhượng", "NGƯỜI HƯỚNG DẪN", "Nguyễn Văn An"):
        assert expected in text, expected
    # answered, then left to run late: the apology with a new date
    actions.process(processor, received, note="Đã nhận bổ sung")
    received.refresh_from_db()
    late = received.due_date + datetime.timedelta(days=10)
    assert "04" in slip.forms_for(received, today=late)
    text = _text(slip.render_pdf(slip.slip_data(received, form="04", today=late)))
    for expected in ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "/PXLHS", "xin lỗi", "THỦ TRƯỞNG CƠ QUAN"):
        assert expected in text, expected
    # refused at reception: form 03 with the reason
    submitted = Dossier.objects.create(code="000.00.08.H26-260212-0099", procedure=received.procedure,
                                       applicant_name="Lò Văn Páo", receiving_agency=hanoi.ngoc_ha,
                                       agency=hanoi.ngoc_ha, status=Status.SUBMITTED, received_at=received.received_at)
    actions.reject(mai, submitted, note="Thủ tục thuộc thẩm quyền cấp tỉnh")
    submitted.refresh_from_db()
    assert slip.forms_for(submitted) == ["03"]
    text = _text(slip.render_pdf(slip.slip_data(submitted, form="03")))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text and "Thủ tục thuộc thẩm quyền cấp tỉnh" in text


def test_the_qr_address_fills_the_code_but_still_asks_for_the_phone(received):
    public = Client()
    page = public.get(f"/ho-so/tra-cuu/?code={received.code}")
    html = page.content.decode()
    assert page.status_code == 200 and f'value="{received.code}"' in html
    assert "Quá trình xử lý" not in html
    found = public.post("/ho-so/tra-cuu/", {"code": received.code, "phone": "4321"}).content.decode()
    assert "Đăng ký biến động quyền sử dụng đất" in found and APPLICANT not in found


@override_settings(WAGTAILADMIN_BASE_URL="https://dichvucong.hanoi.gov.vn/")
def test_without_a_request_the_qr_uses_the_configured_site(received):
    data = slip.slip_data(received)
    assert data.lookup_url == f"https://dichvucong.hanoi.gov.vn/ho-so/tra-cuu/?code={received.code}"
    assert _qr_codes(slip.render_pdf(data)) == [data.lookup_url]


def test_imported_dossier_slip_keeps_old_names_and_codes(hanoi, procedures):
    """A dossier from the district's old one-door system: its receiver is a name the old system wrote, its old
    code is printed, and the papers were never recorded."""
    d = Dossier.objects.create(
        code="000.00.01.H26-250612-0007", procedure=procedures.land, applicant_name="Trần Thị Thu",
        receiving_agency=hanoi.district, agency=hanoi.ba_dinh, status=Status.SUPPLEMENT,
        received_at=at(2025, 6, 12, 14), due_date=None)
    DossierAlias.objects.create(code="QBD-2025-00871", dossier=d, source_system="motcua-badinh")
    d.events.create(at=at(2025, 6, 12, 14), actor="Đinh Thị Lan", actor_title="Chuyên viên", action="receive",
                    status_to=Status.RECEIVED, agency=hanoi.district, agency_name="UBND quận Ba Đình",
                    source_system="motcua-badinh")
    text = _text(slip.render_pdf(slip.slip_data(d)))
    for expected in ("UBND QUẬN BA ĐÌNH", "QBD-2025-00871", "Đinh Thị Lan", "Chuyên viên", "chưa ghi danh mục",
                     "chưa xác định"):
        assert expected in text, expected


def test_another_agency_cannot_print_it(hanoi, received):
    other = official("le.van.tam", "Lê Văn Tâm", hanoi.giang_vo)
    assert client_for(other).get(f"/ho-so/can-bo/{received.pk}/phieu.pdf").status_code == 404


def test_a_missing_font_is_a_clear_configuration_error(received, tmp_path):
    slip._register_fonts.cache_clear()
    try:
        with override_settings(HOPNHAT_SLIP_FONT_DIR=str(tmp_path)):
            with pytest.raises(ImproperlyConfigured, match="thiếu phông chữ tiếng Việt .*DejaVuSans.ttf"):
                slip.render_pdf(slip.slip_data(received))
    finally:
        slip._register_fonts.cache_clear()
