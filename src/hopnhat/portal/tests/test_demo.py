"""The demo portal: four old portals in four formats, assembled once; loading again changes nothing."""

import io

import pytest
from django.conf import settings
from django.test import Client

from hopnhat.portal.crosswalk.resolve import resolve_url
from hopnhat.portal.demo import load_demo
from hopnhat.portal.models import ArticleOrigin, ArticlePage, ImportedFile


@pytest.mark.slow
def test_demo_portal(national_units, db):
    first = load_demo(io.StringIO())
    assert [(i["site"], i["kind"], i["balanced"]) for i in first["imports"]] == [
        ("hagiang.gov.vn", "wxr", True), ("sgddt.tuyenquang.gov.vn", "feed", True),
        ("vixuyen.hagiang.gov.vn", "warc", True), ("ttvixuyen.hagiang.gov.vn", "feed", True)]
    assert first["articles"] == 10 and first["old_urls"] == 13
    assert first["articles_with_several_origins"] == {
        "Thông báo về việc sắp xếp đơn vị hành chính cấp tỉnh, cấp xã năm 2025": 3,
        "Vị Xuyên: Hội nghị triển khai hợp nhất thị trấn Vị Xuyên, thị trấn Nông trường Việt Lâm và xã Đạo Đức": 2}
    assert first["historic_units"] == ["UBND huyện Vị Xuyên (cũ)", "UBND thị trấn Vị Xuyên (cũ)",
                                       "UBND tỉnh Hà Giang (cũ)", "UBND tỉnh Tuyên Quang (cũ)"]
    assert ImportedFile.objects.count() == 4

    second = load_demo(io.StringIO())
    assert all(sum(i["outcomes"].values()) == 0 for i in second["imports"])
    assert (second["articles"], second["old_urls"]) == (10, 13)

    client = Client()
    home = client.get("/cong/").content.decode()
    assert "Cổng thông tin điện tử tỉnh Tuyên Quang" in home and "UBND thị trấn Vị Xuyên (cũ)" in home
    for section in ("Tin tức", "Đơn vị hành chính cũ", "Giới thiệu", "Liên hệ"):
        assert f">{section}</a>" in home, section
    assert "Tỉnh Tuyên Quang" in client.get("/lien-he/").content.decode()
    for origin in ArticleOrigin.objects.select_related("page"):
        assert resolve_url(origin.old_url).location.endswith(origin.page.url), origin.old_url
        assert client.get(origin.page.url).status_code == 200
    township = client.get("/don-vi-cu/ward-00913/").content.decode()
    assert "UBND thị trấn Vị Xuyên (cũ) — nay thuộc xã Vị Xuyên (tỉnh Tuyên Quang)." in township
    assert "(former)" not in township and "News from the old portals" not in client.get("/tin-tuc/").content.decode()
    # English mode speaks English only: the sections' intros and the old unit's title and lead sentence
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    news, units_page = english.get("/tin-tuc/").content.decode(), english.get("/don-vi-cu/").content.decode()
    assert "News from the old portals" in news and "thông báo hợp nhất" not in news
    assert "Committee of Thị trấn Vị Xuyên (former)" in units_page and "(cũ)" not in units_page
    township = english.get("/don-vi-cu/ward-00913/").content.decode()
    assert "Thị trấn Vị Xuyên (former) — now part of xã Vị Xuyên (tỉnh Tuyên Quang)." in township
    assert "nay thuộc" not in township and "(cũ)" not in township
    assert ArticlePage.objects.get(title__startswith="Lịch tiếp công dân").title in township
