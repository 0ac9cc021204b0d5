"""Issue 19: the look-up page says what it looked up when the name had a typo, at phone and desktop sizes."""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_typo_is_corrected_and_said(browser_page, assert_accessible):
    from hopnhat.org.units_load import load_national_units

    load_national_units()  # live_server empties the tables after each test, so load them here
    page = browser_page
    page.goto("/don-vi/tra-cuu/")
    page.get_by_label("Tên hoặc mã đơn vị").fill("doi cna")
    page.get_by_role("button", name="Tra cứu").click()
    assert page.get_by_role("status").inner_text() == "Không có đơn vị tên “doi cna”; kết quả cho “Đội Cấn”."
    assert "Có 3 đơn vị khớp “doi cna”" in page.get_by_role("heading", level=2).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    if folder := os.environ.get("HOPNHAT_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/lookup-typo-{page.viewport_name}.png", full_page=True)
