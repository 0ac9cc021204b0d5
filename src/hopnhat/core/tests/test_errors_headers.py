"""Issue 13, finding 9: paging parameters are checked everywhere (a clear 400, never a 500), and every page is
served with a Content-Security-Policy: strict for the site, its own for the admins."""

import pytest
from django.contrib.auth.models import User

from hopnhat.core import paging

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    {"offset": "99999999999999999999"}, {"offset": "-1"}, {"limit": "0"}, {"limit": "99999999999999999999"},
])
def test_the_pages_api_refuses_paging_out_of_range_with_a_clear_400(client, query):
    answer = client.get("/api/v1/pages", query)
    assert answer.status_code == 400
    name = next(iter(query))
    assert answer.json()["detail"].startswith(f"{name} phải")


def test_search_paging_is_checked_too(client):
    assert client.get("/api/v1/search", {"q": "thông báo", "page": "99999999999999999999"}).status_code == 400
    assert client.get("/tim-kiem/", {"q": "thông báo", "page": "99999999999999999999"}).status_code == 200
    assert client.get("/tim-kiem/", {"q": "thông báo", "page": "abc"}).status_code == 200


def test_paging_helpers():
    assert paging.offset_limit("40", "20") == (40, 20)
    with pytest.raises(paging.PagingError, match="offset phải là số nguyên"):
        paging.offset_limit("1e3", 20)
    assert paging.lenient_page("99999999999999999999") == paging.MAX_PAGE
    assert paging.lenient_page(None) == paging.lenient_page("x") == 1


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/dang-nhap/", "/ho-so/tra-cuu/", "/don-vi/tra-cuu/", "/tim-kiem/"])
def test_site_pages_get_the_strict_policy(client, path):
    policy = _policy(client.get(path))
    assert policy["default-src"] == "default-src 'none'"
    assert policy["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_staff_pages_get_it_too_and_the_admins_their_own(client):
    user = User.objects.create_superuser("quantri.csp", password="mat-khau-dai-123")
    client.force_login(user)
    assert _policy(client.get("/can-bo/"))["script-src"] == "script-src 'self'"
    for path in ("/django-admin/", "/cms/"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        policy = _policy(answer)
        assert "'unsafe-inline'" in policy["script-src"] and policy["object-src"] == "object-src 'none'"
