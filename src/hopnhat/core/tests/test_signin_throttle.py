"""Issue 13, finding 4: forty wrong passwords and then the right one must not sign anyone in."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

from hopnhat.core.models import AuditEntry
from hopnhat.org.models import Agency, Role, RoleAssignment

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-dung-2025"


@pytest.fixture
def official():
    return User.objects.create_user("canbo.thu", password=PASSWORD)


def _sign_in(client, username, password, url="/dang-nhap/", ip="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url", ["/dang-nhap/", "/django-admin/login/"])
def test_forty_wrong_passwords_then_the_right_one_is_refused(client, official, url):
    official.is_staff = True
    official.save()
    for n in range(40):
        answer = _sign_in(client, "canbo.thu", f"sai-{n}", url)
        assert answer.status_code in (200, 429)
    answer = _sign_in(client, "canbo.thu", PASSWORD, url)
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session
    text = answer.content.decode()
    assert "Tạm khóa đăng nhập" in text and "quản trị đơn vị" in text
    locked = AuditEntry.objects.filter(action="signin.locked_out")
    assert locked.count() >= 1 and locked.filter(object_pk="canbo.thu").count() == 1


def test_the_account_is_locked_from_any_address_and_an_address_for_any_account(client, official):
    for n in range(10):
        _sign_in(client, "canbo.thu", f"sai-{n}", ip="198.51.100.1")
    assert _sign_in(client, "canbo.thu", PASSWORD, ip="198.51.100.99").status_code == 429  # by account
    User.objects.create_user("canbo.khac", password=PASSWORD)
    assert _sign_in(client, "canbo.khac", PASSWORD, ip="198.51.100.1").status_code == 429  # by address
    assert _sign_in(client, "canbo.khac", PASSWORD, ip="198.51.100.2").status_code == 302  # elsewhere fine


@override_settings(AXES_LOCKOUT_PARAMETERS=[["username"]])
def test_lockout_by_account_only_is_a_setting(client, official):
    for n in range(10):
        _sign_in(client, "canbo.thu", f"sai-{n}")
    User.objects.create_user("canbo.khac", password=PASSWORD)
    assert _sign_in(client, "canbo.khac", PASSWORD).status_code == 302


def test_a_unit_administrator_unlocks_an_official_of_the_subtree_audited(client, official):
    province = Agency.objects.create(name="UBND tỉnh Tuyên Quang")
    ward = Agency.objects.create(name="UBND phường Minh Xuân", parent=province)
    RoleAssignment.objects.create(user=official, role=Role.OFFICIAL, agency=ward)
    admin = User.objects.create_user("quantri.tinh", password=PASSWORD)
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=province)
    User.objects.create_user("canbo.ngoai", password=PASSWORD)  # no role in the province
    for n in range(10):
        _sign_in(client, "canbo.thu", f"sai-{n}", ip="198.51.100.1")
        _sign_in(client, "canbo.ngoai", f"sai-{n}", ip="198.51.100.2")
    assert _sign_in(client, "canbo.thu", PASSWORD, ip="198.51.100.3").status_code == 429

    client.force_login(admin)
    page = client.get("/can-bo/khoa-dang-nhap/")
    assert page.status_code == 200
    assert "canbo.thu" in page.content.decode() and "canbo.ngoai" not in page.content.decode()
    assert client.post("/can-bo/khoa-dang-nhap/", {"username": "canbo.ngoai"}).status_code == 403
    assert client.post("/can-bo/khoa-dang-nhap/", {"username": "canbo.thu"}).status_code == 302
    entry = AuditEntry.objects.get(action="signin.unlock")
    assert (entry.actor, entry.object_pk) == ("quantri.tinh", "canbo.thu")
    client.logout()
    assert _sign_in(client, "canbo.thu", PASSWORD, ip="198.51.100.3").status_code == 302

    # the CLI unlocks anyone and names itself; a citizen has no such page
    out = StringIO()
    call_command("signin", "unlock", "--user", "canbo.ngoai", "--json", stdout=out)
    assert '"cleared": 1' in out.getvalue()
    assert AuditEntry.objects.get(action="signin.unlock", object_pk="canbo.ngoai").actor.startswith("system:signin")
    client.force_login(User.objects.create_user("congdan.a"))
    assert client.get("/can-bo/khoa-dang-nhap/").status_code == 403


def test_clearing_a_lockout_in_the_django_admin_is_audited(client, official):
    from axes.models import AccessAttempt

    for n in range(10):
        _sign_in(client, "canbo.thu", f"sai-{n}", ip="198.51.100.1")
    attempt = AccessAttempt.objects.get(username="canbo.thu")
    admin = User.objects.create_superuser("quantri.nen.tang", password=PASSWORD)
    client.force_login(admin)
    answer = client.post(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    entry = AuditEntry.objects.get(action="axes.accessattempt.delete")
    assert entry.actor == "quantri.nen.tang" and entry.data["before"]["username"] == "canbo.thu"
    assert not AuditEntry.objects.filter(action__in=["axes.accessattempt.create", "axes.accessattempt.update"])
