import datetime

import pytest
from django.contrib.auth import get_user_model

from hopnhat.mail import addresses, forwards
from hopnhat.mail.models import OldAddress
from hopnhat.org.models import Role, RoleAssignment

from .factories import ACTOR, official, organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    org = organisation()
    an = official("Nguyễn Văn An", org["noivu"], title="Phó Giám đốc")
    addresses.provision()
    forwards.add_old_address("an.nv@hagiang.gov.vn", an.mailbox, actor=ACTOR, forward_until=datetime.date(2026, 7, 1))
    admin = get_user_model().objects.create_user("quantri.test", password="x-hopnhat-2025")
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=org["province"])
    return {**org, "an": an, "admin": admin}


def test_public_directory_shows_contact_points_and_no_people(client, setup):
    page = client.get("/danh-ba/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sở Nội vụ tỉnh Tuyên Quang" in text and "vanthu.snv@tuyenquang.gov.vn" in text
    assert "Nguyễn Văn An" not in client.get("/danh-ba/?q=nguyen van an").content.decode()
    agency = client.get(f"/danh-ba/co-quan/{setup['noivu'].pk}/").content.decode()
    assert "Nguyễn Văn An" not in agency
    card = client.get(f"/danh-ba/co-quan/{setup['noivu'].pk}.vcf")
    assert card["Content-Type"].startswith("text/vcard") and b"KIND:org" in card.content
    assert client.get(f"/danh-ba/can-bo/{setup['an'].pk}.vcf").status_code == 403


def test_staff_see_officials_and_admins_edit_addresses_and_periods(client, setup):
    client.force_login(setup["admin"])
    found = client.get("/danh-ba/?q=nguyen van an").content.decode()
    assert "Nguyễn Văn An" in found and "annv@tuyenquang.gov.vn" in found
    card = client.get(f"/danh-ba/can-bo/{setup['an'].pk}.vcf").content.decode()
    assert "FN:Nguyễn Văn An" in card and "TITLE:Phó Giám đốc" in card
    assert "annv@tuyenquang.gov.vn" in client.get("/thu/dia-chi/").content.decode()
    response = client.post("/thu/dia-chi/", {"id": setup["an"].mailbox.pk, "local_part": "an.nguyen"})
    assert response.status_code == 302
    setup["an"].mailbox.refresh_from_db()
    assert setup["an"].mailbox.address == "an.nguyen@tuyenquang.gov.vn"
    old = OldAddress.objects.get()
    assert "an.nv@hagiang.gov.vn" in client.get("/thu/chuyen-tiep/").content.decode()
    client.post("/thu/chuyen-tiep/", {"id": old.pk, "until": "2027-01-31"})
    old.refresh_from_db()
    assert old.forward_until == datetime.date(2027, 1, 31)


def test_staff_pages_need_a_staff_role(client, setup):
    assert client.get("/thu/dia-chi/").status_code == 302
    citizen = get_user_model().objects.create_user("congdan.test", password="x-hopnhat-2025")
    client.force_login(citizen)
    assert client.get("/thu/dia-chi/").status_code == 403
