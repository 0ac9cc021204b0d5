"""The report pages in headless Chromium at 390 and 1366 px, checked with axe-core: the series across 1 July 2025
with its estimated part, and a form filled in Vietnamese numbers. HOPNHAT_SCREENSHOTS=DIR keeps screenshots."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from hopnhat.dossiers.tests.staffing import PASSWORD, official
from hopnhat.org.models import Role
from hopnhat.reports.collection import record_values

from .conftest import ACTOR, build_agencies, build_catalogue, build_units

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username, then):
    page.goto(f"/dang-nhap/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**{then}")


def _shot(page, name):
    if folder := os.environ.get("HOPNHAT_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"reports-{name}-{page.viewport_size['width']}.png"),
                        full_page=True)


def test_series_and_form_pages(browser_page, assert_accessible):
    units = build_units()
    cat = build_catalogue()
    agencies = build_agencies(units)
    official("tk.tq", "Trần Thị Bình", agencies.tq, Role.UNIT_ADMIN)
    record_values([(cat.births, units.ys_old, None, "2024", "", Decimal(300)),
                   (cat.births, units.lq_old, None, "2024", "", Decimal(50)),
                   (cat.births, units.ys, None, "2025", "", Decimal(220)),
                   (cat.births, units.ys, None, "2026", "", Decimal(231))], "import", ACTOR)
    page = browser_page
    _sign_in(page, "tk.tq", f"/bao-cao/chuoi/DS01/{units.ys.pk}/")
    assert page.locator("svg.series-chart rect.estimated").count() == 1
    assert "Ước tính" in page.get_by_role("table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "series")
    assert_accessible(page)
    page.goto(f"/bao-cao/bieu/B01-DS/{agencies.ys.pk}/2024Q4/")
    page.get_by_label("DS02 Dân số trung bình").fill("12.345,5")
    page.get_by_role("button", name="Lưu").click()
    assert page.get_by_label("DS02 Dân số trung bình").input_value() == "12.345,5"
    _shot(page, "form")
    assert_accessible(page)


def test_comparison_and_outbox_pages_in_both_languages(browser_page, assert_accessible):
    units = build_units()
    cat = build_catalogue()
    agencies = build_agencies(units)
    official("tk.tq", "Trần Thị Bình", agencies.tq, Role.UNIT_ADMIN)
    record_values([(cat.births, units.ys_old, None, "2024", "", Decimal(300)),
                   (cat.births, units.lq_old, None, "2024", "", Decimal(50)),
                   (cat.births, units.ys, None, "2025", "", Decimal(220)),
                   (cat.births, units.tb, None, "2025", "", Decimal(101))], "import", ACTOR)
    from hopnhat.reports.models import Report, Status
    from hopnhat.reports.outbox import enqueue_report
    enqueue_report(Report.objects.create(form=cat.form, agency=agencies.ys, period="2024Q4", status=Status.APPROVED))
    page = browser_page
    _sign_in(page, "tk.tq", "/bao-cao/so-sanh/DS01/")
    assert page.locator("svg.compare-chart rect.estimated").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "compare")
    assert_accessible(page)
    page.goto("/can-bo/gui-di/?kenh=reports")
    assert "B01-DS · 000.00.49.H60 · 2024Q4 v1" in page.get_by_role("table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "outbox")
    assert_accessible(page)
    page.locator("table a").first.click()
    assert "DuLieuBaoCao" in page.locator("pre.payload").first.inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    page.goto("/bao-cao/so-sanh/DS01/")
    assert "Compare units" in page.locator("h1").inner_text()
    _shot(page, "compare-en")
    assert_accessible(page)
