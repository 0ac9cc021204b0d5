"""The look-up page in headless Chromium, at phone and desktop sizes, checked with axe-core."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_type_an_old_name_choose_among_namesakes_and_read_the_split(browser_page, assert_accessible):
    from hopnhat.org.units_load import load_national_units

    load_national_units()  # live_server empties the tables after each test, so load them here
    page = browser_page
    page.goto("/don-vi/tra-cuu/")
    page.get_by_label("Tên hoặc mã đơn vị").fill("doi can")
    page.get_by_role("button", name="Tra cứu").click()
    assert "Có 3 đơn vị khớp “doi can”" in page.get_by_role("heading", level=2).inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Phường Đội Cấn, Quận Ba Đình, Thành phố Hà Nội").click()
    assert page.get_by_role("heading", level=2).inner_text() == "Phường Đội Cấn"
    results = page.locator("#unit-results")
    assert results.get_attribute("aria-live") == "polite"
    assert ("Một phần địa giới của Phường Đội Cấn nay thuộc Phường Ba Đình, phần còn lại thuộc Phường Ngọc Hà."
            in results.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
