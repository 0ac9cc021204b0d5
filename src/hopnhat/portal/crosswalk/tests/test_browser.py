"""The old-URL answers in a real browser, phone and desktop, with the accessibility check (through the
preview route, which answers exactly as the old host will after its DNS switch)."""

import pytest

from hopnhat.portal.crosswalk.api import decide

from .conftest import ACTOR

pytestmark = pytest.mark.browser


def test_archive_page_in_a_browser(browser_page, assert_accessible, hagiang):
    decide(hagiang, "/thong-bao/mat-dien-2016.html", actor=ACTOR, type="archive",
           archive_url="https://tuyenquang.gov.vn/luu-tru/ha-giang/mat-dien-2016")
    response = browser_page.goto("/cong/xem-truoc/hagiang.gov.vn/Thong-Bao/Mat-Dien-2016.html")
    assert response.status == 410
    assert browser_page.get_by_role("heading", level=1).inner_text() == "Trang này không còn được đăng ở đây"
    link = browser_page.get_by_role("link", name="Xem bản lưu trữ của trang này")
    assert link.get_attribute("href") == "https://tuyenquang.gov.vn/luu-tru/ha-giang/mat-dien-2016"
    assert browser_page.get_by_text("Tỉnh Tuyên Quang", exact=True).is_visible()
    assert_accessible(browser_page)


def test_redirect_in_a_browser(browser_page, assert_accessible, live_server, hagiang):
    decide(hagiang, "/Gioi-Thieu/*", actor=ACTOR, type="redirect", target_url=live_server.url + "/dang-nhap/")
    browser_page.goto("/cong/xem-truoc/www.hagiang.gov.vn/gioi-thieu/lich-su")
    assert browser_page.url == live_server.url + "/dang-nhap/"
    assert browser_page.get_by_role("heading", level=1).is_visible()
    assert_accessible(browser_page)
