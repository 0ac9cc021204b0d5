"""The search page, the header box, the CLI and the mobile API with its OpenAPI document."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, PageViewRestriction

from hopnhat.portal.search.indexing import index_document, index_page, unindex_page
from hopnhat.portal.search.models import SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(hanoi):
    index_document(source_key="hn-101", title="Cấp đổi căn cước công dân tại xã Bát Tràng", url="/tin/cccd/",
                   body="UBND xã Bát Tràng hướng dẫn thủ tục cấp đổi thẻ căn cước cho người dân.",
                   origin_unit=hanoi["bat_trang"], doc_type="procedure", date=datetime.date(2025, 8, 5))
    index_document(source_key="hn-102", title="Đăng ký khai sinh trực tuyến ở phường Ba Đình", url="/tin/ks/",
                   body="Phường Ba Đình tiếp nhận hồ sơ, hướng dẫn thủ tục đăng ký khai sinh trực tuyến.",
                   origin_unit=hanoi["ba_dinh"], doc_type="procedure", date=datetime.date(2025, 9, 1))
    return hanoi


@pytest.fixture
def site_root():
    return Page.objects.get(depth=1).get_children().first() or Page.objects.get(depth=1)


def test_search_page_shows_hits_facets_and_did_you_mean(client, docs):
    response = client.get("/tim-kiem/", {"q": "can cuco"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Có phải bạn muốn tìm:" in html and "?q=can%20cuoc" in html
    assert '<a href="/tin/cccd/">Cấp đổi <mark>căn</mark> <mark>cước</mark>' in html
    assert "Xã Bát Tràng" in html and "Thủ tục hành chính" in html  # facets and meta
    assert 'role="search"' in html and 'id="header-search-q"' in html  # the box in the shell header too


def test_search_page_explains_an_old_place_name_and_filters(client, docs):
    html = client.get("/tim-kiem/", {"q": "căn cước huyện Gia Lâm"}).content.decode()
    assert "gồm cả các đơn vị kế thừa" in html and "Huyện Gia Lâm (cũ)" in html
    html = client.get("/tim-kiem/", {"q": "thu tuc", "type": "procedure", "unit": docs["ba_dinh"].pk}).content
    assert b"/tin/ks/" in html and b"/tin/cccd/" not in html
    response = client.get("/tim-kiem/", {"q": "thu tuc", "year": "năm nay"})
    assert response.status_code == 400 and "cần số" in response.content.decode()


def test_every_page_has_the_header_search_box(client, db):
    html = client.get("/").content.decode()
    assert 'action="/tim-kiem/"' in html and 'name="q"' in html


def _header_value(html: str) -> str:
    box = html[html.index('id="header-search-q"'):]
    return box[box.index('value="') + 7:box.index('"', box.index('value="') + 7)]


def test_header_search_box_is_prefilled_only_on_the_search_page(client, db):
    # Another page's ?q= (a dossier look-up code) is not a search query and must not show in the header box.
    html = client.get("/ho-so/tra-cuu/", {"q": "HS-2025-000123"}).content.decode()
    assert _header_value(html) == ""
    assert _header_value(client.get("/don-vi/", {"q": "Gia Lâm"}).content.decode()) == ""
    assert _header_value(client.get("/tim-kiem/", {"q": "căn cước"}).content.decode()) == "căn cước"


def test_cli_search_human_and_json(docs):
    out = StringIO()
    call_command("search", "dang", "ky", "khai", "sinh", stdout=out)
    assert "1 kết quả" in out.getvalue() and "/tin/ks/" in out.getvalue()
    out = StringIO()
    call_command("search", "cccd", "huyện", "Gia", "Lâm", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [h["url"] for h in data["hits"]] == ["/tin/cccd/"]
    assert {g["kind"] for g in data["understood"]} == {"synonym", "place"}
    with pytest.raises(CommandError, match="Cần câu tìm"):
        call_command("search", stdout=StringIO())
    with pytest.raises(CommandError, match="Loại"):
        call_command("search", "cccd", "--type", "blog", stdout=StringIO())


def test_wagtail_pages_are_indexed_on_publish_and_dropped_when_not_public(site_root, client):
    page = site_root.add_child(instance=Page(title="Lịch tiếp công dân của Chủ tịch UBND phường Ba Đình",
                                             slug="lich-tiep-cong-dan", search_description="Thứ Năm hằng tuần"))
    page.save_revision().publish()
    doc = SearchDocument.objects.get(page=page)
    assert doc.url == page.get_url() and "Thứ Năm" in doc.body
    assert client.get("/api/v1/search", {"q": "lich tiep cong dan"}).json()["hits"][0]["url"] == page.get_url()
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    assert index_page(page) is None and not SearchDocument.objects.filter(page=page).exists()
    PageViewRestriction.objects.filter(page=page).delete()
    index_page(page)
    page.unpublish()
    assert not SearchDocument.objects.filter(page=page).exists()
    unindex_page(page)  # twice is harmless


def test_cli_reindex(site_root):
    page = site_root.add_child(instance=Page(title="Giới thiệu xã Bát Tràng", slug="gioi-thieu"))
    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("search", "--reindex", "--json", stdout=out)
    assert json.loads(out.getvalue())["indexed"] >= 1
    assert SearchDocument.objects.filter(page=page).exists()


def test_api_search_pages_and_errors(client, docs, site_root):
    data = client.get("/api/v1/search", {"q": "khai sinh", "type": "procedure"}).json()
    assert data["total"] == 1 and data["hits"][0]["url"] == "/tin/ks/"
    assert data["facets"]["type"][0] == {"value": "procedure", "label": "Thủ tục hành chính",
                                         "count": 1, "selected": True}
    response = client.get("/api/v1/search", {"q": "khai sinh", "type": "blog"})
    assert response.status_code == 422 and "Loại" in response.json()["detail"]
    assert client.get("/api/v1/search").status_code == 422  # q is required

    page = site_root.add_child(instance=Page(title="Thông báo tuyển dụng công chức", slug="tuyen-dung"))
    listing = client.get("/api/v1/pages", {"limit": 5}).json()
    assert page.pk in [p["id"] for p in listing["items"]]
    detail = client.get(f"/api/v1/pages/{page.pk}").json()
    assert detail["title"] == "Thông báo tuyển dụng công chức" and detail["type"] == "wagtailcore.page"
    assert client.get("/api/v1/pages/999999").status_code == 404
    assert client.get("/api/v1/pages", {"limit": 1000}).status_code == 400


def test_api_redirect_lookup_through_the_crosswalk(client, site_root):
    from hopnhat.portal.crosswalk.api import map_url

    page = site_root.add_child(instance=Page(title="Thủ tục đăng ký khai sinh", slug="khai-sinh"))
    map_url("http://badinh.hanoi.gov.vn/tin-tuc/khai-sinh.html", page=page, actor="system:test")
    data = client.get("/api/v1/redirects", {"url": "http://badinh.hanoi.gov.vn/tin-tuc/khai-sinh.html"}).json()
    assert data["status"] == 301 and data["target"].endswith(page.url_path.rstrip("/").split("/")[-1] + "/")
    assert client.get("/api/v1/redirects", {"url": "http://khong-co.example.vn/"}).status_code == 404
    assert client.get("/api/v1/redirects", {"url": "không phải địa chỉ"}).status_code == 422


def test_openapi_document_and_docs_page(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/pages", "/api/v1/pages/{page_id}", "/api/v1/redirects"} <= set(
        schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "unit", "type", "year", "page", "per_page"} <= params
    assert "SearchOut" in schema["components"]["schemas"]
    assert client.get("/api/v1/docs").status_code == 200
