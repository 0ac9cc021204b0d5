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


def _header_box(page):
    return page.evaluate("""(() => { const r = document.querySelector('.header-row');
        const s = getComputedStyle(r); return [s.paddingTop, s.paddingBottom, r.getBoundingClientRect().width]; })()""")


def test_wagtail_pages_have_the_shells_header(browser_page):
    from hopnhat.portal import tree

    tree.home()   # the portal's home page (Wagtail) now answers "/"
    page = browser_page
    page.goto("/dang-nhap/")
    shell = _header_box(page)
    page.goto("/")
    assert page.locator("link[href$='portal/portal.css']").count() == 1   # a Wagtail page
    assert _header_box(page) == shell and shell[0] != "0px"


def test_unit_lookup_has_no_empty_band_above_the_button(phone_page):
    page = phone_page
    page.goto("/don-vi/tra-cuu/")
    gap = page.evaluate("""(() => {
        const hint = document.querySelector('#unit-q-hint').getBoundingClientRect();
        const button = document.querySelector('.unit-lookup button').getBoundingClientRect();
        return button.top - hint.bottom; })()""")
    assert 0 <= gap < 24, gap
