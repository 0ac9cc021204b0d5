"""Issue 19: the citizen's look-up of a dossier that waits on them says what to bring, since when, that the
clock is paused, with dates as Vietnamese people write them — in Chromium at phone and desktop sizes."""

import pytest

from hopnhat.dossiers import actions

from .conftest import build_hanoi, build_procedures
from .staffing import PROCESSOR, RECEIVER, official

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lookup_says_what_to_supplement(browser_page, assert_accessible):
    hanoi, procedures = build_hanoi(), build_procedures()
    desk = official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, roles=(RECEIVER, PROCESSOR))
    d = actions.receive(desk, agency=hanoi.ngoc_ha, procedure=procedures.land, applicant_name="Đỗ Minh Quân",
                        phone="0987001122")
    actions.assign(desk, d, desk)
    actions.request_supplement(desk, d, note="Bổ sung bản sao sổ đỏ có chứng thực")
    page = browser_page
    page.goto(f"/ho-so/tra-cuu/?code={d.code}")
    page.get_by_label("4 số cuối điện thoại").fill("1122")
    page.get_by_role("button", name="Tra cứu").click()
    notice = page.get_by_role("note")
    assert "Bổ sung bản sao sổ đỏ có chứng thực" in notice.inner_text()
    result = page.get_by_role("region", name=f"Hồ sơ {d.code}").inner_text()
    assert "tạm dừng tính hạn" in result and "quá hạn" not in result
    assert page.locator("time").first.inner_text().count("/") == 2   # 12/06/2025 14:00
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
