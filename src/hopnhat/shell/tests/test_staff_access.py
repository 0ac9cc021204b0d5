"""Issue 13, finding 8: staff tools need a staff role, and every menu shows exactly the pages its user may open."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from hopnhat.core import navigation
from hopnhat.org.models import Agency, Role, RoleAssignment
from hopnhat.shell.context_processors import site_shell

pytestmark = pytest.mark.django_db
STAFF_TOOLS = ["/ra-soat/", "/ra-soat/trong-so/", "/ra-soat/ke-hoach.xlsx", "/ra-soat/bang-theo-doi/",
               "/ra-soat/mau.xlsx", "/cong/dia-chi-cu/", "/can-bo/khoa-dang-nhap/"]


@pytest.fixture
def demo_roles():
    """The demo's roles (README, "Demo logins") over a small agency tree."""
    province = Agency.objects.create(name="UBND tỉnh Tuyên Quang", code="000.00.00.H63")
    department = Agency.objects.create(name="Sở Nội vụ tỉnh Tuyên Quang", parent=province)
    ward = Agency.objects.create(name="UBND phường Ba Đình", parent=province)
    make = get_user_model().objects.create_user
    users = {}
    admin = users["quantri"] = make("quantri", is_staff=True, is_superuser=True)
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)
    for name, role, agency in (("quantri.tuyenquang", Role.UNIT_ADMIN, province),
                               ("canbo.noivu", Role.OFFICIAL, department),
                               ("motcua.badinh", Role.DOSSIER_RECEIVER, ward),
                               ("thuly.badinh", Role.DOSSIER_PROCESSOR, ward),
                               ("lanhdao.badinh", Role.DOSSIER_APPROVER, ward),
                               ("congdan", Role.CITIZEN, None)):
        users[name] = make(name)
        RoleAssignment.objects.create(user=users[name], role=role, agency=agency)
    return users


@pytest.mark.parametrize("path", STAFF_TOOLS)
def test_a_citizen_is_refused_and_a_visitor_sent_to_sign_in(client, demo_roles, path):
    assert client.get(path).status_code == 302
    assert "/dang-nhap/" in client.get(path)["Location"]
    client.force_login(demo_roles["congdan"])
    assert client.get(path).status_code == 403


def test_every_menu_link_of_every_demo_role_opens(client, demo_roles):
    factory = RequestFactory()
    shown = {}
    for name, user in demo_roles.items():
        request = factory.get("/")
        request.user = user
        shell = site_shell(request)   # what the menus show: the shell gives staff links to staff members only
        links = [i["url"] for i in shell["public_nav"] + shell["staff_nav"]]
        client.force_login(user)
        answers = {url: client.get(url).status_code for url in links}
        assert {url: code for url, code in answers.items() if code != 200} == {}, name
        shown[name] = set(links)
    # the one-door receiver no longer sees the duplicate review (unit administrators only), the unit admin does
    assert "/hop-nhat/duyet-trung/" not in shown["motcua.badinh"]
    assert "/hop-nhat/duyet-trung/" in shown["quantri.tuyenquang"]
    assert "/can-bo/khoa-dang-nhap/" in shown["quantri.tuyenquang"]
    assert "/can-bo/khoa-dang-nhap/" not in shown["canbo.noivu"]
    assert not [u for u in shown["congdan"] if u.startswith(("/ra-soat/", "/cong/dia-chi-cu/", "/can-bo/"))]


def test_nav_items_keep_their_old_api():
    item = navigation.NavItem("shell:healthz", "Kiểm tra", "Health", order=999)
    assert item.shown_to(None) and item.permission is None
    staff = navigation.NavItem("shell:healthz", "Kiểm tra", "Health", staff_only=True)
    assert not staff.shown_to(None)
    gated = navigation.NavItem("shell:healthz", "Kiểm tra", "Health", permission=lambda user: user == "x")
    assert gated.shown_to("x") and not gated.shown_to("y")
