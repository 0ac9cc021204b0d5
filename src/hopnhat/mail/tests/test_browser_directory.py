"""The public directory on a 390 px phone and a desktop, in both languages: a deep tree of agencies with long
shared addresses fits the screen (no sideways scrolling of the whole page). HOPNHAT_SCREENSHOTS=DIR keeps
screenshots."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from hopnhat.mail import addresses
from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Role, RoleAssignment

from .factories import ACTOR, official, organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_directory_fits_a_phone(browser_page, assert_accessible, lang):
    org = organisation()
    parent = org["noivu"]
    for code, name in [("G01.02.01.H60", "Ban Thi đua - Khen thưởng tỉnh Tuyên Quang"),
                       ("G01.02.02.H60", "Phòng Tổ chức bộ máy, biên chế và tổ chức hành chính"),
                       ("G01.02.03.H60", "Tổ Quản lý hồ sơ cán bộ, công chức, viên chức và lưu trữ lịch sử")]:
        parent, _ = ensure_agency(code=code, name=name, parent=parent, actor=ACTOR)
    official("Nguyễn Thị Phương Thảo", parent, title="Tổ trưởng Tổ Quản lý hồ sơ cán bộ, công chức")
    addresses.provision()
    admin = get_user_model().objects.create_user("quantri.test", password="x-hopnhat-2025")
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=org["province"])
    page = browser_page
    if lang == "en":
        page.goto("/")
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": page.url}])
    page.goto("/danh-ba/")
    assert "@tuyenquang.gov.vn" in page.locator("main").inner_text()
    if folder := os.environ.get("HOPNHAT_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"directory-{lang}-{page.viewport_size['width']}.png"),
                        full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] == width[1], width
    assert_accessible(page)
    # the deepest agency's page as staff see it: its officials' table scrolls in its own region
    page.goto(f"/dang-nhap/?next=/danh-ba/co-quan/{parent.pk}/")
    page.locator("input[name=username]").fill("quantri.test")
    page.locator("input[name=password]").fill("x-hopnhat-2025")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/danh-ba/co-quan/{parent.pk}/")
    assert "Nguyễn Thị Phương Thảo" in page.locator("main").inner_text()
    if folder:
        page.screenshot(path=str(Path(folder) / f"directory-agency-{lang}-{page.viewport_size['width']}.png"),
                        full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] == width[1], width
    assert_accessible(page)
