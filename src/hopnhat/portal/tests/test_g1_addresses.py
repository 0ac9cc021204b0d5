"""Issue 19, old addresses: slugs keep numbers as Vietnamese write them."""

import pytest

from hopnhat.portal.articles import slug_of


@pytest.mark.parametrize(("title", "slug"), [
    ("Hơn 9.000 thí sinh dự thi", "hon-9000-thi-sinh-du-thi"),
    ("Tăng trưởng 1,5 lần", "tang-truong-1-5-lan"),
    ("Hỗ trợ 2.400.000 đồng mỗi tháng", "ho-tro-2400000-dong-moi-thang"),
    ("Phường 01, ngày 05/07/2025", "phuong-01-ngay-05-07-2025"),
    ("Đội Cấn: 100 năm", "doi-can-100-nam"),
])
def test_slug_keeps_digits(title, slug):
    assert slug_of(title) == slug


# ---------------------------------------------------------------------------------------------------------------
# Redirects go to the public address; home, section and id-style pages land right.

from pathlib import Path  # noqa: E402

from django.test import override_settings  # noqa: E402

from hopnhat.portal.addresses import id_params, index_paths  # noqa: E402
from hopnhat.portal.crosswalk.api import decide, ensure_site  # noqa: E402
from hopnhat.portal.crosswalk.resolve import resolve_url  # noqa: E402
from hopnhat.portal.importing import run_import  # noqa: E402
from hopnhat.portal.models import ArticlePage, HistoricUnitPage  # noqa: E402

from .conftest import NOTICE, OTHER, wxr, wxr_item  # noqa: E402

ACTOR = "system:test"
PUBLIC = "http://203.0.113.7:8123"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHANNEL_CATEGORY = ("<wp:category><wp:term_id>7</wp:term_id><wp:category_nicename>thong-bao</wp:category_nicename>"
                    "<wp:cat_name><![CDATA[Thông báo]]></wp:cat_name></wp:category>")


def _hagiang(tmp_path):
    text = wxr(wxr_item(4101, "Thông báo về việc sắp xếp đơn vị hành chính", f"<p>{NOTICE}</p>"),
               wxr_item(4102, "Cảnh báo lừa đảo về thuế", f"<p>{OTHER} Cảnh báo lừa đảo thuế.</p>",
                        date="2025-03-08 07:00:00"))
    text = text.replace("<item>", CHANNEL_CATEGORY + "<item>", 1)
    path = tmp_path / "hagiang.xml"
    path.write_text(text, encoding="utf-8")
    result = run_import("wxr", {"path": str(path)}, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    return result


@override_settings(WAGTAILADMIN_BASE_URL=PUBLIC)
def test_wordpress_home_and_ids_land_on_the_right_page_at_the_public_address(tmp_path, units):
    _hagiang(tmp_path)
    notice = ArticlePage.objects.get(title__startswith="Thông báo về việc")
    scam = ArticlePage.objects.get(title__startswith="Cảnh báo")
    unit_page = HistoricUnitPage.objects.get(unit=units["ha_giang"])
    expect = {
        "https://hagiang.gov.vn/": unit_page.url,                   # not the last article (the tax scam)
        "https://hagiang.gov.vn/?p=4101": notice.url,
        "https://hagiang.gov.vn/?p=4102": scam.url,
        "https://hagiang.gov.vn/?p=4102&utm_source=zalo": scam.url,
        "https://hagiang.gov.vn/?p=999999": unit_page.url,          # an unknown post: the home rule
        "https://hagiang.gov.vn/2025/06/": unit_page.url,            # a date archive above an article
        "https://hagiang.gov.vn/2025/": unit_page.url,
        "https://hagiang.gov.vn/category/thong-bao/": unit_page.url + "?chuyen-muc=Th%C3%B4ng%20b%C3%A1o",
        "https://hagiang.gov.vn/?cat=7": unit_page.url + "?chuyen-muc=Th%C3%B4ng%20b%C3%A1o",
    }
    for old, path in expect.items():
        outcome = resolve_url(old)
        assert outcome.kind == "redirect" and outcome.status == 301, old
        assert outcome.location == PUBLIC + path, old
        assert "localhost" not in outcome.location


def test_category_lands_on_the_unit_page_listing_that_category(client, tmp_path, units):
    _hagiang(tmp_path)
    unit_page = HistoricUnitPage.objects.get(unit=units["ha_giang"])
    html = client.get(unit_page.url, {"chuyen-muc": "Thông báo"}).content.decode()
    assert "Thông báo về việc sắp xếp" in html and "Cảnh báo lừa đảo" in html   # both are "Thông báo"
    html = client.get(unit_page.url, {"chuyen-muc": "Văn hóa"}).content.decode()
    assert "Thông báo về việc sắp xếp" not in html


@override_settings(WAGTAILADMIN_BASE_URL=PUBLIC)
def test_feed_portal_home_and_sections_land_on_the_unit_page_never_404(units):
    run_import("feed", {"path": str(FIXTURES / "sgddt-tuyenquang-rss.xml")}, site="sgddt.tuyenquang.gov.vn",
               unit="08", actor=ACTOR)
    unit_page = HistoricUnitPage.objects.get(unit=units["tuyen_quang_old"])
    for old in ("https://sgddt.tuyenquang.gov.vn/", "https://sgddt.tuyenquang.gov.vn/tin-tuc/",
                "https://sgddt.tuyenquang.gov.vn/tin-tuc"):
        outcome = resolve_url(old)
        assert (outcome.kind, outcome.location) == ("redirect", PUBLIC + unit_page.url), old
    article = resolve_url("https://sgddt.tuyenquang.gov.vn/tin-tuc/hon-9000-thi-sinh-du-thi-tot-nghiep-thpt-2025.html")
    assert "-hon-9000-thi-sinh-" in article.location                # the slug keeps its number


def test_the_home_rule_is_a_default_that_a_decision_overrides(tmp_path, units):
    site = ensure_site("hagiang.gov.vn", actor=ACTOR, unit=units["ha_giang"])
    decide(site, "/", actor=ACTOR, type="redirect", target_url="/gioi-thieu/")
    _hagiang(tmp_path)
    assert resolve_url("https://hagiang.gov.vn/").target == "/gioi-thieu/"
    _hagiang(tmp_path)                                                 # a re-import keeps the decision too
    assert resolve_url("https://hagiang.gov.vn/").target == "/gioi-thieu/"


def test_source_config_can_send_index_pages_home(tmp_path, units):
    path = tmp_path / "tq.xml"
    path.write_text(wxr(wxr_item(5, "Ra quân trồng cây", f"<p>{OTHER}</p>",
                                 link="https://tq.gov.vn/tin-tuc/ra-quan.html")), encoding="utf-8")
    run_import("wxr", {"path": str(path), "index_pages": "home"}, site="tq.gov.vn", unit="08", actor=ACTOR)
    assert resolve_url("https://tq.gov.vn/tin-tuc/").target == "/"


def test_other_content_systems_id_parameters():
    assert id_params("https://x.gov.vn/index.php?option=com_content&view=article&id=12&Itemid=101") == {
        "option", "view", "id"}
    assert "articleid" in id_params("https://x.gov.vn/Default.aspx?tabid=57&ArticleID=9")
    assert id_params("https://x.gov.vn/?page_id=12") >= {"p", "page_id", "cat"}
    assert id_params("https://x.gov.vn/tin-tuc/bai.html?utm_source=zalo") == set()
    assert index_paths("https://x.gov.vn/tin-tuc/2025/bai.html") == ["/tin-tuc/2025", "/tin-tuc", "/"]
    assert index_paths("https://x.gov.vn/?p=1") == ["/"]


def test_joomla_articles_keep_their_own_address(tmp_path, units):
    items = [wxr_item(n, f"Tin số {n} về trồng cây", f"<p>{(OTHER, NOTICE)[n - 1]}</p>",
                      link=f"https://joomla.gov.vn/index.php?option=com_content&amp;view=article&amp;id={n}&amp;Itemid=9")
             for n in (1, 2)]
    path = tmp_path / "j.xml"
    path.write_text(wxr(*items), encoding="utf-8")
    run_import("wxr", {"path": str(path)}, site="joomla.gov.vn", unit="08", actor=ACTOR)
    for n in (1, 2):
        page = ArticlePage.objects.get(title=f"Tin số {n} về trồng cây")
        outcome = resolve_url(f"https://joomla.gov.vn/index.php?option=com_content&view=article&id={n}")
        assert outcome.target == page.url


@override_settings(WAGTAILADMIN_BASE_URL="http://127.0.0.1:1")  # a dead address: the preview must not use it
def test_preview_redirects_on_the_address_it_was_reached_by(client, tmp_path, units):
    _hagiang(tmp_path)
    unit_page = HistoricUnitPage.objects.get(unit=units["ha_giang"])
    response = client.get("/cong/xem-truoc/hagiang.gov.vn/")
    assert response.status_code == 301 and response["Location"] == "http://testserver" + unit_page.url
