"""`hopnhat demo --no-serve` on an empty database, twice: the second run must change nothing."""

import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from hopnhat.core.models import AuditEntry
from hopnhat.org import access, agencies
from hopnhat.org.demo import DEMO_PASSWORD
from hopnhat.org.models import Agency, AgencySuccession, RoleAssignment

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _demo() -> dict:
    out = io.StringIO()
    call_command("demo", "--no-serve", "--json", stdout=out)
    return json.loads(out.getvalue())


def _org_state():
    return (list(Agency.objects.values_list("code", "status", "unit_id", "parent_id")),
            list(AgencySuccession.objects.values_list("predecessor__code", "successor__code", "kind", "is_default")),
            list(RoleAssignment.objects.values_list("user__username", "role", "agency__code")),
            AuditEntry.objects.filter(actor="system:demo", action__startswith="agency.").count())


def test_demo_builds_the_merged_province_and_a_second_run_changes_nothing():
    first = _demo()
    assert first["serving"] is False
    assert first["org"]["agencies"]["created"] >= 30 and first["org"]["users_created"] == 5
    state = _org_state()

    # Hà Giang's old agency codes answer with Tuyên Quang's agencies
    [noivu_hg] = agencies.resolve_agency("000.00.02.H22")
    assert [e.agency.name for e in agencies.current_agencies(noivu_hg)] == ["Sở Nội vụ tỉnh Tuyên Quang"]
    [ubnd_hg] = agencies.resolve_agency("UBND tỉnh Hà Giang")
    assert agencies.default_current_agency(ubnd_hg).code == "000.00.00.H60"
    # the district-level city went to five wards, Minh Xuân by default; its old ward Đội Cấn to Bình Thuận
    [city] = agencies.resolve_agency("000.00.31.H60")
    assert city.closed_reason == "split" and city.unit.name == "Thành phố Tuyên Quang"
    assert len(agencies.current_agencies(city)) == 5
    assert agencies.default_current_agency(city).name == "UBND phường Minh Xuân"
    [doi_can] = agencies.resolve_agency("000.05.31.H60")
    assert agencies.default_current_agency(doi_can).unit.name == "Phường Bình Thuận"
    assert doi_can in agencies.resolve_agency("ubnd phuong doi can")  # with any other module's namesakes
    # the old and the new UBND phường Minh Xuân share a name: both come back, the active one first
    assert [a.status for a in agencies.resolve_agency("UBND phường Minh Xuân")] == ["active", "closed"]

    # demo users sign in with the printed password and see their scope
    by_name = {u["username"]: u for u in first["org"]["users"]}
    assert set(by_name) == {"quantri", "quantri.tuyenquang", "canbo.noivu", "canbo.minhxuan", "congdan"}
    province_admin = authenticate(username="quantri.tuyenquang", password=DEMO_PASSWORD)
    official = authenticate(username="canbo.noivu", password=DEMO_PASSWORD)
    citizen = authenticate(username="congdan", password=DEMO_PASSWORD)
    assert access.visible_agencies(province_admin).filter(code="000.00.44.H60").exists()
    assert not access.visible_agencies(province_admin).filter(code="000.00.02.H22").exists()
    assert list(access.visible_agencies(official).values_list("code", flat=True)) == ["000.00.02.H60"]
    assert not access.is_staff_member(citizen)
    assert access.is_platform_admin(authenticate(username="quantri", password=DEMO_PASSWORD))

    second = _demo()
    assert second["units"]["changed"] is False
    assert second["org"]["agencies"] | {"active": 0} == {"total": first["org"]["agencies"]["total"], "created": 0,
                                                         "closed": 0, "linked_to_units": 0, "active": 0}
    assert second["org"]["users_created"] == 0
    assert _org_state() == state
