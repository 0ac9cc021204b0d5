"""The one interface, through Django's test client: languages, sign-in, the staff area and the admin sites."""

import pytest
from django.contrib.auth import get_user_model

from hopnhat.core import navigation
from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-demo-2025"


@pytest.fixture
def official():
    agency = ensure_agency(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang", actor="system:test")[0]
    user = get_user_model().objects.create_user("canbo.noivu", password=PASSWORD, first_name="An",
                                                last_name="Nguyễn Văn")
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=agency)
    return user


@pytest.fixture
def citizen():
    user = get_user_model().objects.create_user("congdan.hoa", password=PASSWORD)
    RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    return user


def test_home_is_vietnamese_whatever_the_browser_says(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in page
    assert "Bỏ qua, tới nội dung chính" in page and "Đăng nhập" in page
    assert 'href="#main"' in page and '<main id="main"' in page


def test_the_english_switch_changes_the_shell(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dang-nhap/"})
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/"
    page = client.get("/dang-nhap/").content.decode()
    assert '<html lang="en">' in page
    assert "Skip to main content" in page and "User name" in page and "Bỏ qua" not in page
    assert 'lang="vi">Tiếng Việt</button>' in page  # and the way back
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Tên đăng nhập" in client.get("/dang-nhap/").content.decode()


def test_home_lists_the_registered_modules_in_both_languages(client, settings):
    item = navigation.NavItem("shell:healthz", "Tình trạng hệ thống", "System status", order=1,
                              description_vi="Máy chủ có trả lời không", description_en="Is the server up")
    navigation.register(item)
    try:
        page = client.get("/").content.decode()
        assert "Tình trạng hệ thống" in page and "Máy chủ có trả lời không" in page
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert "Is the server up" in client.get("/").content.decode()
    finally:
        navigation._items.remove(item)


def test_an_official_signs_in_to_the_staff_area(client, official):
    response = client.post("/dang-nhap/", {"username": "canbo.noivu", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/can-bo/"
    page = client.get("/can-bo/").content.decode()
    assert "Sở Nội vụ tỉnh Tuyên Quang" in page and "000.00.02.H60" in page
    assert "Khu vực cán bộ" in client.get("/").content.decode()


def test_wrong_password_says_so_without_saying_which(client, official):
    page = client.post("/dang-nhap/", {"username": "canbo.noivu", "password": "sai"}).content.decode()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page and 'role="alert"' in page


def test_a_citizen_goes_home_and_has_no_staff_area(client, citizen):
    response = client.post("/dang-nhap/", {"username": "congdan.hoa", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/can-bo/").status_code == 403
    assert "Khu vực cán bộ" not in client.get("/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/can-bo/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/?next=/can-bo/")


def test_a_registered_provider_appears_on_the_sign_in_page(client):
    assert "VNeID" not in client.get("/dang-nhap/").content.decode()
    option = navigation.SignInOption("shell:healthz", "Đăng nhập bằng VNeID", "Sign in with VNeID")
    navigation.register_sign_in(option)
    try:
        page = client.get("/dang-nhap/?next=/can-bo/").content.decode()
        assert 'href="/healthz?next=/can-bo/">Đăng nhập bằng VNeID</a>' in page
    finally:
        navigation._sign_in.remove(option)


def test_django_admin_and_wagtail_admin_answer_for_platform_admins(client):
    admin = get_user_model().objects.create_superuser("quantri.nentang", password=PASSWORD)
    client.force_login(admin)
    assert client.get("/django-admin/").status_code == 200
    assert client.get("/cms/").status_code == 200
    page = client.get("/can-bo/").content.decode()
    assert 'href="/cms/"' in page and 'href="/django-admin/"' in page


def test_unknown_pages_get_the_shell(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404 and "Không tìm thấy trang" in response.content.decode()
