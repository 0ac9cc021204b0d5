"""The search page as people use it: headless Chromium at phone and desktop sizes, checked with axe-core."""

import datetime

import pytest

from hopnhat.portal.search.indexing import index_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def articles(hanoi):
    for i, (title, unit, kind) in enumerate([
        ("Cấp đổi căn cước công dân tại xã Bát Tràng", "bat_trang", "procedure"),
        ("Lịch cấp căn cước lưu động ở phường Ba Đình", "ba_dinh", "notice"),
        ("Giao đất ở cho hộ gia đình tại thị trấn Trâu Quỳ", "trau_quy", "news"),
    ]):
        index_document(source_key=f"br-{i}", title=title, url=f"/tin/{i}/", origin_unit=hanoi[unit], doc_type=kind,
                       body=f"{title}. Người dân mang theo giấy hẹn và thẻ căn cước cũ khi đến nhận.",
                       date=datetime.date(2025, 8, 1 + i))


def test_search_from_the_header_box_with_facets(browser_page, articles, assert_accessible):
    page = browser_page
    page.goto("/")
    box = page.get_by_role("searchbox", name="Tìm kiếm trên cổng")
    box.fill("can cuoc")
    box.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=can+cuoc")
    assert page.get_by_role("heading", level=1).inner_text() == "Tìm kiếm"
    assert page.get_by_role("status").first.inner_text().startswith("3 kết quả")
    assert page.locator(".hit-title mark").first.inner_text() == "căn"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)

    page.get_by_label("Thông báo").check()
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**type=notice**")
    assert page.locator(".hit-title").all_inner_texts() == ["Lịch cấp căn cước lưu động ở phường Ba Đình"]
    assert_accessible(page)


def test_did_you_mean_and_no_results_are_accessible(browser_page, articles, assert_accessible):
    page = browser_page
    page.goto("/tim-kiem/?q=giao+daat")
    assert page.get_by_text("Có phải bạn muốn tìm:").is_visible()
    page.get_by_role("link", name="giao dat", exact=True).click()
    assert page.locator(".hit-title").first.inner_text() == "Giao đất ở cho hộ gia đình tại thị trấn Trâu Quỳ"
    page.goto("/tim-kiem/?q=xyzxyz")
    assert page.get_by_role("status").inner_text() == "Không tìm thấy kết quả."
    assert_accessible(page)
