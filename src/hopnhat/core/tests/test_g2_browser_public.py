"""Issue 19 as a person sees it, at phone and desktop sizes with axe-core: the footer of a public service (agency,
address, hotline, e-mail, licence) on every page, the contact page, the site's 404 page, and English mode showing
English only in the shell."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_footer_and_contact_page_of_a_public_service(browser_page, assert_accessible):
    page = browser_page
    page.goto("/")
    footer = page.get_by_role("contentinfo")
    text = footer.inner_text()
    for expected in ("Ủy ban nhân dân tỉnh Tuyên Quang", "Địa chỉ", "Đường dây nóng", "Thư điện tử",
                     "Giấy phép"):
        assert expected in text, expected
    assert page.locator("link[rel=icon]").get_attribute("href").endswith("favicon.svg")
    assert page.locator(".brand-logo").is_visible()
    footer.get_by_role("link", name="Trang liên hệ").click()
    page.wait_for_url("**/lien-he/")
    assert page.get_by_role("heading", level=1).inner_text() == "Liên hệ"
    assert page.get_by_role("main").get_by_role("link", name="0207 3822 345").is_visible()
    assert _fits(page)
    assert_accessible(page)


def test_english_mode_and_the_sites_404(browser_page, assert_accessible):
    page = browser_page
    page.goto("/dang-nhap/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    footer = page.get_by_role("contentinfo").inner_text()
    assert "Hotline" in footer and "Đường dây nóng" not in footer and "Responsible agency" in footer
    assert "Sign in" in page.title() and "localhost" not in page.title()
    page.goto("/khong-co-trang-nay/")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.get_by_role("contentinfo").is_visible()
    assert _fits(page)
    assert_accessible(page)
