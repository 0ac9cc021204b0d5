"""The portal's home and article pages in headless Chromium, at phone and desktop sizes, checked with axe-core."""

import io

import pytest
from PIL import Image

from hopnhat.portal.importing import run_import
from hopnhat.portal.models import ArticlePage

from .conftest import NOTICE, OTHER, wxr, wxr_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_URL_SLUG = "thong-bao-ve-viec-sap-xep-don-vi-hanh-chinh-cap-tinh-cap-xa-nam-2025-cua-ubnd-tinh-ha-giang"


def _portal(tmp_path):
    uploads = tmp_path / "uploads" / "wp-content" / "uploads"
    uploads.mkdir(parents=True)
    image = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 90, 160)).save(image, format="PNG")
    (uploads / "hoi-nghi.png").write_bytes(image.getvalue())
    body = (f"<p>{NOTICE}</p><p><img src='/wp-content/uploads/hoi-nghi.png' alt='Quang cảnh hội nghị'></p>"
            "<table><tr><th>Đơn vị cũ</th><th>Đơn vị mới</th><th>Trụ sở</th><th>Ghi chú</th></tr>"
            "<tr><td>Thị trấn Vị Xuyên</td><td>Xã Vị Xuyên</td><td>Tổ 4, thị trấn Vị Xuyên cũ</td>"
            "<td>Tiếp nhận hồ sơ từ 01/7/2025</td></tr></table>")
    path = tmp_path / "hagiang.xml"
    path.write_text(wxr(wxr_item(1, "Thông báo về việc sắp xếp đơn vị hành chính cấp tỉnh, cấp xã năm 2025", body,
                                 link=f"https://hagiang.gov.vn/2025/06/{LONG_URL_SLUG}/"),
                        wxr_item(2, "Ra quân trồng cây đầu xuân", f"<p>{OTHER}</p>", date="2025-02-08 07:00:00")),
                    encoding="utf-8")
    run_import("wxr", {"path": str(path), "media_dir": str(tmp_path / "uploads")}, site="hagiang.gov.vn",
               unit="02", actor="system:test")


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_portal_home(browser_page, assert_accessible, units, tmp_path):
    _portal(tmp_path)
    page = browser_page
    page.goto("/cong/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("heading", name="Tin mới").is_visible()
    news = page.get_by_role("link", name="Ra quân trồng cây đầu xuân")
    assert news.is_visible()
    assert page.get_by_role("link", name="UBND tỉnh Hà Giang (cũ)").is_visible()
    assert _fits(page)
    assert_accessible(page)
    news.click()
    page.wait_for_url("**/tin-tuc/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Ra quân trồng cây đầu xuân"


def test_article_page(browser_page, assert_accessible, units, tmp_path):
    _portal(tmp_path)
    article = ArticlePage.objects.get(title__startswith="Thông báo về việc sắp xếp")
    page = browser_page
    page.goto(article.url)
    assert page.get_by_role("heading", level=1).inner_text() == article.title
    assert page.get_by_role("navigation", name="Vị trí").is_visible()
    image = page.get_by_role("img", name="Quang cảnh hội nghị")
    assert image.count() == 1
    width = page.evaluate("window.innerWidth")
    assert image.bounding_box()["width"] <= width          # a 1600 px photo scales down on a phone
    assert page.get_by_role("link", name=f"https://hagiang.gov.vn/2025/06/{LONG_URL_SLUG}/").is_visible()
    assert _fits(page), f"sideways scrolling at {page.viewport_name}"
    assert_accessible(page)
