"""The public look-up page /don-vi/tra-cuu/ and its JSON twin /don-vi/api/lineage."""

import pytest
from django.conf import settings
from django.urls import reverse

from hopnhat.core import navigation

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_page_explains_a_split(client, national_units):
    response = client.get(reverse("org:unit-lookup"), {"q": "Phường Đội Cấn, Quận Ba Đình, Hà Nội"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tra cứu đơn vị hành chính</h1>" in html
    assert 'aria-live="polite"' in html and '<label for="unit-q">' in html
    assert ("Một phần địa giới của Phường Đội Cấn nay thuộc Phường Ba Đình, phần còn lại thuộc Phường Ngọc Hà."
            in html)
    assert "Phường Ngọc Hà, Thành phố Hà Nội" in html


def test_page_lists_ambiguous_names_as_links(client, national_units):
    html = client.get(reverse("org:unit-lookup"), {"q": "doi can"}).content.decode()
    assert "Có 3 đơn vị khớp “doi can” — hãy chọn một" in html
    assert 'href="?q=VN/2025-06-30/ward/02524"' in html
    assert "Phường Đội Cấn, Thành phố Tuyên Quang, Tỉnh Tuyên Quang" in html
    chosen = client.get(reverse("org:unit-lookup"), {"q": "VN/2025-06-30/ward/02524"}).content.decode()
    assert "Toàn bộ Phường Đội Cấn nay thuộc Phường Bình Thuận." in chosen


def test_page_in_english(client, national_units):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("org:unit-lookup"), {"q": "Tinh Ha Giang"}).content.decode()
    assert "Administrative unit look-up" in html
    assert "All of Tỉnh Hà Giang is now part of Tỉnh Tuyên Quang." in html


def test_page_without_match_and_with_bad_date(client, national_units):
    html = client.get(reverse("org:unit-lookup"), {"q": "không có đơn vị này"}).content.decode()
    assert "Không tìm thấy đơn vị" in html
    response = client.get(reverse("org:unit-lookup"), {"q": "Hà Giang", "at": "hôm qua"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.content.decode()


def test_json_endpoint(client, national_units):
    response = client.get(reverse("org:lineage-api"), {"q": "Ha Giang", "at": "2025-08-01"})
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["ambiguous"] and data["at"] == "2025-08-01"
    province = next(r for r in data["results"] if r["unit"]["level"] == "province")
    assert province["lineage"]["current"][0]["unit"]["name"] == "Tỉnh Tuyên Quang"
    assert client.get(reverse("org:lineage-api")).status_code == 400


def test_public_navigation_links_the_page():
    (item,) = [i for i in navigation.public_items() if i["url"] == "/don-vi/tra-cuu/"]
    assert (item["vi"], item["en"]) == ("Tra cứu đơn vị hành chính", "Administrative unit look-up")
