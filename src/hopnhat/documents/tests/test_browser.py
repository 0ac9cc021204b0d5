"""The document pages as staff use them, in headless Chromium at phone (390 px) and desktop (1366 px) widths,
checked with axe-core: the register book, a routed document with its timeline, assigning it, the overdue
dashboard and the look-up of an abolished district's old number. HOPNHAT_SCREENSHOTS=DIR keeps screenshots."""

import datetime
import os
import re
from pathlib import Path

import pytest

from hopnhat.documents import actions
from hopnhat.documents.models import RoutingRule
from hopnhat.dossiers.tests.staffing import PASSWORD

from .conftest import at, build_tq, incoming_meta

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username, then):
    page.goto(f"/dang-nhap/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**{then}")


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, name):
    if folder := os.environ.get("HOPNHAT_SCREENSHOTS"):
        width = page.viewport_size["width"]
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"documents-{name}-{width}.png"), full_page=True)


def test_leader_assigns_a_routed_document(browser_page, assert_accessible):
    from hopnhat.dossiers.tests.staffing import official
    from hopnhat.org.models import Role

    tq = build_tq()
    official("lanhdao.tq", "Nguyễn Văn Hải", tq.tq, roles=(Role.DOC_LEADER,), title="Phó Chủ tịch")
    official("chuyenvien.vp", "Trần Minh Đức", tq.vp, title="Chuyên viên")
    RoutingRule.objects.create(agency=tq.tq, name="Chuyển đổi số → Văn phòng", words="chuyển đổi số",
                               department=tq.vp, priority=1)
    entry = actions.register_incoming("system:test", tq.tq, incoming_meta())
    late = actions.register_incoming("system:test", tq.tq, incoming_meta(
        number="230/UBND-VP", issuer_name="UBND huyện Yên Sơn", subject="Báo cáo kết quả sắp xếp đơn vị hành chính"),
        at=at(2025, 6, 2))
    actions.assign("system:test", late, [(tq.noivu, None, "lead")], due_date=datetime.date(2025, 6, 10))
    page = browser_page
    _sign_in(page, "lanhdao.tq", "/can-bo/")
    page.get_by_role("navigation", name="Công cụ cán bộ").get_by_role("link", name="Văn bản", exact=True).click()
    page.wait_for_url("**/van-ban/")
    table = page.get_by_role("table")
    assert "15/QĐ-UBND" in table.inner_text() and "Chuyển đổi số → Văn phòng" in table.inner_text()
    assert _fits(page)
    assert_accessible(page)
    _shot(page, "register")

    page.get_by_role("link", name="15/QĐ-UBND").click()
    page.wait_for_url(f"**/van-ban/{entry.pk}/")
    assert "Theo quy tắc" in page.content()
    page.get_by_label("Người xử lý").select_option(label="Trần Minh Đức")
    page.get_by_role("button", name="Phân công xử lý").click()
    page.wait_for_url(re.compile(rf"/van-ban/{entry.pk}/\?xong=assign$"))
    assert "Phân công xử lý" in page.locator("table").inner_text()
    assert _fits(page)
    assert_accessible(page)
    _shot(page, "entry")

    page.goto("/van-ban/qua-han/")
    assert "Sở Nội vụ tỉnh Tuyên Quang" in page.get_by_role("table", name="Số văn bản quá hạn theo đơn vị").inner_text()
    listed = page.get_by_role("table", name="Văn bản đến quá hạn, hạn sớm nhất trước").inner_text()
    assert "230/UBND-VP" in listed and "Sở Nội vụ tỉnh Tuyên Quang" in listed, listed
    assert _fits(page)
    assert_accessible(page)
    _shot(page, "dashboard")

    page.goto("/van-ban/tra-cuu/")
    page.get_by_label("Số đến/đi").fill("Số 230 /UBND-VP")
    page.get_by_label("Cơ quan ban hành").fill("UBND huyện Yên Sơn")
    page.locator("#main").get_by_role("button", name="Tìm").click()
    assert "Báo cáo kết quả sắp xếp" in page.content()
    assert _fits(page)
    assert_accessible(page)
    _shot(page, "lookup")


def test_leader_signs_through_the_page_and_sees_it_valid(browser_page, assert_accessible, settings, tmp_path):
    """The leader signs an approved công văn with the key the platform keeps for them (keys.json, a CA under
    trust/): the page names the key before, and after signing says the signature is valid, by whom and when,
    in Vietnamese and then in English; pdfsig agrees on the file the page serves."""
    import datetime as dt

    from hopnhat.documents import demo_signing
    from hopnhat.dossiers.tests.staffing import official
    from hopnhat.org.models import Role

    from .test_signing import pdfsig

    settings.HOPNHAT_SIGNING = {"tsa_url": "", "trust_roots": [], "dir": str(tmp_path / "signing")}
    settings.MEDIA_ROOT = tmp_path / "media"
    tq = build_tq(close=False)
    leader = official("lanhdao.tq", "Nguyễn Văn Hải", tq.tq, roles=(Role.DOC_LEADER,), title="Phó Chủ tịch")
    drafter = official("chuyenvien.vp", "Trần Minh Đức", tq.vp, title="Chuyên viên")
    demo_signing.ensure_keys(username="lanhdao.tq", full_name="Nguyễn Văn Hải")
    meta = {"code_notation": "UBND-VP", "type_name": "Công văn", "signer_name": "Nguyễn Văn Hải",
            "signer_position": "Phó Chủ tịch", "subject": "V/v thống nhất một hệ thống văn bản sau hợp nhất"}
    pdf = demo_signing.cong_van_pdf(agency="Ủy ban nhân dân\ntỉnh Tuyên Quang", notation="UBND-VP",
                                    place="Tuyên Quang", day=dt.date(2025, 12, 1), subject=meta["subject"],
                                    paragraphs=["Đề nghị các sở dùng chung một hệ thống văn bản."],
                                    recipients=["Các sở, ban, ngành tỉnh"], authority="KT. CHỦ TỊCH",
                                    position="Phó Chủ tịch", signer="Nguyễn Văn Hải")
    entry = actions.draft(drafter, tq.tq, meta, attachments=[("cong-van.pdf", pdf)])
    for name in ("review", "approve"):
        entry = actions.step(leader, entry, name)

    page = browser_page
    _sign_in(page, "lanhdao.tq", f"/van-ban/{entry.pk}/")
    assert "Ký số tệp văn bản bằng khóa của Nguyễn Văn Hải" in page.locator("main").inner_text()
    page.get_by_role("button", name="Ký", exact=True).click()
    page.wait_for_url(re.compile(rf"/van-ban/{entry.pk}/\?xong=sign$"))
    signatures = page.locator(".signatures").inner_text()
    assert "Chữ ký hợp lệ" in signatures and "Người ký: Nguyễn Văn Hải" in signatures, signatures
    assert re.search(r"Thời gian ký: \d\d/\d\d/\d{4} \d\d:\d\d", signatures), signatures
    assert "Đã ký" in page.locator("dl").inner_text()
    assert _fits(page)
    assert_accessible(page)
    _shot(page, "signed")

    href = page.get_by_role("link", name="cong-van.pdf").get_attribute("href")
    served = page.request.get(href)
    assert served.ok and served.headers["content-type"] == "application/pdf"
    out = pdfsig(served.body(), tmp_path)
    assert "Signature is Valid" in out and "Nguyễn Văn Hải" in out, out

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    signatures = page.locator(".signatures").inner_text()
    assert "Valid signature" in signatures and "Signer: Nguyễn Văn Hải" in signatures, signatures
    assert "hợp lệ" not in signatures and "Signed" in page.locator("dl").inner_text()
    assert_accessible(page)
    _shot(page, "signed-en")
