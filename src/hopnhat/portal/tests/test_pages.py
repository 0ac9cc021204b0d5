"""The portal's pages as people see them (server-rendered, Vietnamese first)."""

from django.test import Client

from hopnhat.portal import tree
from hopnhat.portal.importing import run_import
from hopnhat.portal.models import ArticlePage

from .conftest import NOTICE, OTHER, wxr, wxr_item


def _import(tmp_path):
    path = tmp_path / "hagiang.xml"
    path.write_text(wxr(wxr_item(1, "Thông báo sắp xếp đơn vị hành chính", f"<p>{NOTICE}</p>"),
                        wxr_item(2, "Ra quân trồng cây", f"<p>{OTHER}</p><script>alert(1)</script>",
                                 date="2025-02-08 07:00:00")), encoding="utf-8")
    run_import("wxr", {"path": str(path)}, site="hagiang.gov.vn", unit="02", actor="system:test")


def test_home_lists_sections_latest_news_and_former_units(units, tmp_path):
    _import(tmp_path)
    html = Client().get("/cong/").content.decode()
    assert 'lang="vi"' in html and "Tin tức" in html and "Đơn vị hành chính cũ" in html
    assert html.index("Thông báo sắp xếp") < html.index("Ra quân trồng cây")      # newest first
    assert "UBND tỉnh Hà Giang (cũ)" in html


def test_article_page_shows_body_and_origins(units, tmp_path):
    _import(tmp_path)
    page = ArticlePage.objects.get(title="Ra quân trồng cây")
    response = Client().get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Phú Linh" in html and "alert(1)" not in html
    assert "https://hagiang.gov.vn/2025/06/bai-2/" in html and "Tỉnh Hà Giang" in html
    assert "08/02/2025" in html


def test_section_page_paginates(units, tmp_path):
    _import(tmp_path)
    html = Client().get(tree.news().url).content.decode()
    assert "Thông báo sắp xếp" in html and "Ra quân trồng cây" in html


def test_portal_home_before_setup_is_a_clear_404(db):
    response = Client().get("/cong/")
    assert response.status_code == 404
