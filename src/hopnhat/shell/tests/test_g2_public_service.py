"""Issue 19, looks like a public service: the footer names the responsible agency with its address, hotline,
e-mail and licence line (settings), a contact page, a configurable logo and a favicon; the sign-in page shows the
portal's name; unknown pages get the site's 404 also in the demo (DEBUG); the Django admin speaks Vietnamese;
the staff home lists each role once; `hopnhat --help` lists the platform's commands by area; /api/v1/ says where
its documentation is."""

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import override_settings

from hopnhat import cli
from hopnhat.core.lang import has_vietnamese
from hopnhat.org.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-demo-2025"


def test_footer_carries_the_agency_contacts_and_licence_from_settings(client):
    portal = {**settings.HOPNHAT_PORTAL, "agency": "Ủy ban nhân dân xã Yên Sơn", "address": "Thôn Đồng Bòng",
              "hotline": "0207 111 222", "email": "ubnd@yenson.tuyenquang.gov.vn",
              "licence": "Giấy phép số 12/GP-STTTT ngày 01/7/2025", "logo": "https://cdn.example.vn/yenson.png"}
    with override_settings(HOPNHAT_PORTAL=portal):
        html = client.get("/lien-he/").content.decode()
    footer = html.split('<footer class="site-footer">')[1]
    for expected in ("Ủy ban nhân dân xã Yên Sơn", "Thôn Đồng Bòng", 'href="tel:0207111222"',
                     "mailto:ubnd@yenson.tuyenquang.gov.vn", "Giấy phép số 12/GP-STTTT ngày 01/7/2025",
                     'href="/lien-he/"'):
        assert expected in footer, expected
    # the contact page has the same fields, and the configured logo is the brand's image
    main = html.split('<main id="main"')[1].split("</main>")[0]
    assert "0207 111 222" in main and "Thôn Đồng Bòng" in main and "ubnd@yenson.tuyenquang.gov.vn" in main
    assert '<img class="brand-logo" src="https://cdn.example.vn/yenson.png"' in html


def test_favicon_and_default_logo_are_served(client):
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/hopnhat/favicon.svg"' in html
    static = Path(settings.STATICFILES_DIRS[0]) / "hopnhat"
    assert (static / "favicon.svg").read_text().startswith("<svg") and (static / "logo.svg").exists()


def test_sign_in_page_shows_the_portal_name_not_the_host(client):
    html = client.get("/dang-nhap/", HTTP_HOST="127.0.0.1").content.decode()
    title = html.split("<title>")[1].split("</title>")[0]
    assert settings.WAGTAIL_SITE_NAME in title and "127.0.0.1" not in title


def test_unknown_page_is_the_site_404_even_in_the_demo(client):
    with override_settings(DEBUG=True):
        answer = client.get("/khong-co-trang-nay/")
    html = answer.content.decode()
    assert answer.status_code == 404
    assert "Không tìm thấy trang" in html and "site-footer" in html and "URLconf" not in html


def test_django_admin_speaks_vietnamese(client):
    get_user_model().objects.create_superuser("quantri", password=PASSWORD)
    client.login(username="quantri", password=PASSWORD)
    html = client.get("/django-admin/").content.decode()
    assert "Quản trị hopnhat" in html and "Chào mừng" in html
    for model in admin.site._registry:
        if model._meta.app_label.startswith(("core", "org", "dossiers", "consolidation", "portal")):
            assert has_vietnamese(str(model._meta.verbose_name_plural)), model
            assert "(" not in str(model._meta.verbose_name_plural), model
    assert "Hồ sơ TTHC" in html and "Dossiers" not in html
    # third-party entries: Wagtail's images and tags are edited at /cms/; task results are named in Vietnamese
    assert ">Tags<" not in html and ">Images<" not in html and "Tác vụ nền" in html


def test_staff_home_lists_each_role_once(client):
    user = get_user_model().objects.create_superuser("quantri", password=PASSWORD)
    RoleAssignment.objects.create(user=user, role=Role.PLATFORM_ADMIN)
    client.login(username="quantri", password=PASSWORD)
    html = client.get("/can-bo/").content.decode()
    roles = html.split("<h2>Vai trò của bạn</h2>")[1].split("</ul>")[0]
    assert roles.count("<li>") == 1 and "Quản trị nền tảng" in roles


def test_hopnhat_help_lists_the_platform_commands_by_area():
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["--help"])
    text = out.getvalue()
    for area, command in (("Hồ sơ TTHC:", "dossiers"), ("Nền tảng chung:", "demo"),
                          ("Đơn vị, cơ quan, con người:", "units"), ("Hợp nhất hệ thống:", "consolidate")):
        assert area in text and f"\n  {command} " in text, (area, command)
    assert "\n  migrate" not in text and "\n  runserver" not in text and "hopnhat django --help" in text


def test_api_root_links_its_documentation(client):
    answer = client.get("/api/v1/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["documentation"] == "/api/v1/docs" and data["openapi"] == "/api/v1/openapi.json"
    assert client.get(data["documentation"]).status_code == 200
