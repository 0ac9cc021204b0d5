"""A citizen on a 390 px phone finds "đăng ký khai sinh" through the portal's one search box (typed without
diacritics), opens the procedure, and browses the catalogue by life event with the keyboard alone; axe-core clean."""

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.dossiers import catalogue_samples

from .conftest import build_hanoi, close_old_agencies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_a_procedure_by_search_and_by_life_event(phone_page, assert_accessible, tmp_path):
    hanoi = build_hanoi()
    close_old_agencies(hanoi)
    for m in catalogue_samples.mappings(tmp_path):
        run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
    page = phone_page
    page.goto("/")
    box = page.locator("#header-search-q")
    box.fill("dang ky khai sinh")
    box.press("Enter")
    page.get_by_role("link", name="Thủ tục đăng ký khai sinh").first.click()
    page.wait_for_url("**/ho-so/thu-tuc/1.001193/")
    assert "UBND phường Ba Đình" in page.content()
    assert_accessible(page)
    # keyboard only: the life-event filter, then the first result
    page.goto("/ho-so/thu-tuc/")
    assert_accessible(page)
    page.locator("#f-event").focus()
    page.keyboard.press("ArrowDown")          # "Khai sinh", the first life event
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")              # the Lọc / Filter button
    page.wait_for_url("**su_kien=**")
    links = page.locator(".procedure-list a")
    assert links.count() == 1
    links.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ho-so/thu-tuc/1.001193/")
    assert page.get_by_role("heading", name="Thủ tục đăng ký khai sinh").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
