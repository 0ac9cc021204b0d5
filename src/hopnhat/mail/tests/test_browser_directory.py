"""The public directory on a 390 px phone and a desktop, in both languages: a deep tree of agencies with long
shared addresses fits the screen (no sideways scrolling of the whole page). HOPNHAT_SCREENSHOTS=DIR keeps
screenshots."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from hopnhat.mail import addresses
from hopnhat.org.agencies import ensure_agency

from .factories import ACTOR, organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_directory_fits_a_phone(browser_page, assert_accessible, lang):
    org = organisation()
    parent = org["noivu"]
    for code, name in [("G01.02.01.H60", "Ban Thi đua - Khen thưởng tỉnh Tuyên Quang"),
                       ("G01.02.02.H60", "Phòng Tổ chức bộ máy, biên chế và tổ chức hành chính"),
                       ("G01.02.03.H60", "Tổ Quản lý hồ sơ cán bộ, công chức, viên chức và lưu trữ lịch sử")]:
        parent, _ = ensure_agency(code=code, name=name, parent=parent, actor=ACTOR)
    addresses.provision()
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
