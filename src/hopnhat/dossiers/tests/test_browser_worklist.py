"""The dossier pages as people use them, in headless Chromium at phone and desktop sizes, checked with axe-core:
an official's worklist, a step on a dossier, reception at the counter and the dashboard; a citizen's look-up from
the slip's QR address."""

import re

import pytest

from hopnhat.dossiers import actions

from .conftest import at, build_hanoi, build_procedures
from .staffing import PASSWORD, PROCESSOR, RECEIVER, official

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username, then):
    page.goto(f"/dang-nhap/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**{then}")


def _fits(page):
    # nothing wider than the screen: wide tables scroll inside their own box
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_official_works_through_the_worklist(browser_page, assert_accessible):
    hanoi, procedures = build_hanoi(), build_procedures()
    official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=(RECEIVER, PROCESSOR))
    late = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.land,
                           applicant_name="Đỗ Minh Quân", phone="0987001122", at=at(2026, 2, 12, 15, 30))
    actions.receive("system:test", agency=hanoi.giang_vo, procedure=procedures.certify,
                    applicant_name="Hoàng Văn Nam", phone="0912000111")
    page = browser_page
    _sign_in(page, "ngo.thi.mai", "/can-bo/")
    page.get_by_role("navigation", name="Công cụ cán bộ").get_by_role("link", name="Hồ sơ TTHC").click()
    page.wait_for_url("**/ho-so/can-bo/")
    table = page.get_by_role("table")
    assert "Đỗ Minh Quân" in table.inner_text() and "Quá hạn" in table.inner_text()
    assert "Hoàng Văn Nam" not in page.content()
    assert _fits(page)
    assert_accessible(page)

    page.get_by_role("link", name=late.code).click()
    page.wait_for_url(f"**/ho-so/can-bo/{late.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {late.code}"
    page.get_by_label("Người thụ lý").select_option(label="Ngô Thị Mai (ngo.thi.mai)")
    page.get_by_label("Ghi chú").first.fill("Chuyển bộ phận địa chính")
    page.get_by_role("button", name="Chuyển xử lý").click()
    page.wait_for_url(re.compile(rf"/ho-so/can-bo/{late.pk}/\?xong=assign$"))
    assert "đã “Chuyển xử lý”" in page.get_by_role("status").inner_text()
    assert "Chuyển bộ phận địa chính" in page.locator("table").inner_text()
    assert _fits(page)
    assert_accessible(page)


def test_reception_at_the_counter_and_the_dashboard(browser_page, assert_accessible):
    hanoi, procedures = build_hanoi(), build_procedures()
    official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=(RECEIVER,))
    page = browser_page
    _sign_in(page, "ngo.thi.mai", "/ho-so/can-bo/tiep-nhan/")
    page.get_by_label("Thủ tục", exact=True).first.select_option(procedures.birth.code)
    page.get_by_role("button", name="Chọn, điền danh mục giấy tờ").click()
    page.wait_for_url("**procedure=*")
    assert "Tờ khai đăng ký khai sinh; 1" in page.get_by_label("Giấy tờ đã nhận").input_value()
    assert_accessible(page)
    page.get_by_label("Họ tên người nộp").fill("Trần Thị Thu Hường")
    page.get_by_label("Số điện thoại").fill("12")
    page.get_by_role("button", name="Tiếp nhận và cấp mã hồ sơ").click()
    assert "Số điện thoại phải có 9–11 chữ số" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_role("button", name="Tiếp nhận và cấp mã hồ sơ").click()
    page.wait_for_url(re.compile(r"/ho-so/can-bo/\d+/\?moi=1$"))
    status = page.get_by_role("status").inner_text()
    assert "Đã tiếp nhận hồ sơ 000.00.08.H26-" in status
    slip = page.get_by_role("link", name="In giấy tiếp nhận (PDF)")
    assert slip.get_attribute("href").endswith("/phieu.pdf")
    assert_accessible(page)

    page.goto("/ho-so/can-bo/thong-ke/")
    row = page.get_by_role("row", name="UBND phường Ngọc Hà")
    assert row.is_visible()
    assert _fits(page)
    assert_accessible(page)


def test_public_lookup_from_the_qr_address(browser_page, assert_accessible):
    hanoi, procedures = build_hanoi(), build_procedures()
    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.birth,
                        applicant_name="Nguyễn Thị Lan", phone="0912 345 678")
    page = browser_page
    page.goto(f"/ho-so/tra-cuu/?code={d.code}")
    assert page.get_by_label("Mã hồ sơ").input_value() == d.code
    assert_accessible(page)
    page.get_by_label("4 số cuối điện thoại").fill("5678")
    page.get_by_role("button", name="Tra cứu").click()
    result = page.get_by_role("region", name=f"Hồ sơ {d.code}")
    assert "Thủ tục đăng ký khai sinh" in result.inner_text()
    assert "Nguyễn Thị Lan" not in page.content()
    assert _fits(page)
    assert_accessible(page)
