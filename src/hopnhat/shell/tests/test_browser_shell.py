"""The shell as people see it: headless Chromium at phone and desktop sizes, checked with axe-core."""

import pytest
from django.contrib.auth import get_user_model

from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Role, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mat-khau-demo-2025"


def _official():
    agency = ensure_agency(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang", actor="system:test")[0]
    user = get_user_model().objects.create_user("canbo.noivu", password=PASSWORD, first_name="Lan",
                                                last_name="Nguyễn Thị")
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=agency)
    return user


def test_home_page_fits_the_screen_and_is_accessible(browser_page, assert_accessible):
    page = browser_page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Dịch vụ của đơn vị sau hợp nhất"
    for landmark in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(landmark).first.is_visible(), landmark
    # nothing wider than the screen: no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("link", name="Đăng nhập").is_visible()
    # the shell's stylesheet is served and applied (the red header band)
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == \
        "rgb(163, 17, 26)"
    assert_accessible(page)


def test_skip_link_is_the_first_stop_and_leads_to_the_content(browser_page):
    page = browser_page
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Bỏ qua, tới nội dung chính"
    assert page.get_by_role("link", name="Bỏ qua, tới nội dung chính").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_english_switch_changes_the_shell_and_stays(browser_page, assert_accessible):
    page = browser_page
    page.goto("/dang-nhap/")
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/dang-nhap/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    assert page.get_by_label("User name").is_visible()
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Services of the merged unit"
    assert_accessible(page)
    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "vi"


def test_sign_in_leads_an_official_to_the_staff_area(browser_page, assert_accessible):
    _official()
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name="Đăng nhập").click()
    assert_accessible(page)
    page.get_by_label("Tên đăng nhập").fill("canbo.noivu")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/can-bo/")
    assert page.get_by_role("heading", level=1).inner_text() == "Khu vực cán bộ"
    assert "Nguyễn Thị Lan" in page.locator("main").inner_text()  # family name first
    assert "Sở Nội vụ tỉnh Tuyên Quang" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Đăng xuất (Nguyễn Thị Lan)").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Đăng nhập").is_visible()


def test_a_wrong_password_is_announced(phone_page, assert_accessible):
    _official()
    page = phone_page
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("canbo.noivu")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    assert "không đúng" in alert.inner_text()
    assert page.get_by_label("Tên đăng nhập").input_value() == "canbo.noivu"
    assert_accessible(page)


def test_unit_lookup_for_doi_can_lists_both_wards(browser_page, assert_accessible):
    from hopnhat.org.units_load import load_national_units

    load_national_units()  # live_server empties the tables after each test, so load them here
    page = browser_page
    page.goto("/don-vi/tra-cuu/?q=Đội Cấn")
    results = page.locator("#unit-results").inner_text()
    assert "Phường Đội Cấn" in results
    assert "Tuyên Quang" in results and "Hà Nội" in results  # the two old wards of that name
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
