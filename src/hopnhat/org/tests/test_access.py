"""Who sees what, on a small tree shaped like the merged Tuyên Quang province."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from hopnhat.org import access
from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Agency, Membership, Person, Role, RoleAssignment

pytestmark = pytest.mark.django_db
ACTOR = "system:test-access"


@pytest.fixture
def tree():
    def agency(code, name, parent=None):
        return ensure_agency(code=code, name=name, parent=parent, actor=ACTOR)[0]

    tq = agency("000.00.00.H60", "UBND tỉnh Tuyên Quang")
    t = {"tq": tq}
    t["noi_vu"] = agency("000.00.02.H60", "Sở Nội vụ tỉnh Tuyên Quang", tq)
    t["thi_dua"] = agency("000.01.02.H60", "Ban Thi đua - Khen thưởng", t["noi_vu"])
    t["tu_phap"] = agency("000.00.03.H60", "Sở Tư pháp tỉnh Tuyên Quang", tq)
    t["minh_xuan"] = agency("000.00.41.H60", "UBND phường Minh Xuân", tq)
    t["hg"] = agency("000.00.00.H22", "UBND tỉnh Hà Giang")
    t["noi_vu_hg"] = agency("000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", t["hg"])
    for key, name in [("noi_vu", "Nguyễn Văn An"), ("tu_phap", "Trần Thị Bình"), ("minh_xuan", "Lê Văn Cường"),
                      ("noi_vu_hg", "Phạm Thị Dung")]:
        Membership.objects.create(person=Person.objects.create(full_name=name), agency=t[key], title="Chuyên viên")
    return t


def _user(username, role=None, agency=None, **extra):
    user = get_user_model().objects.create_user(username, password="x", **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, agency=agency)
    return user


def _names(queryset):
    return sorted(a.name for a in queryset)


def test_unit_admin_of_the_province_sees_its_whole_subtree_and_nothing_else(tree):
    admin = _user("quantri.tuyenquang", Role.UNIT_ADMIN, tree["tq"])
    assert _names(access.visible_agencies(admin)) == [
        "Ban Thi đua - Khen thưởng", "Sở Nội vụ tỉnh Tuyên Quang", "Sở Tư pháp tỉnh Tuyên Quang",
        "UBND phường Minh Xuân", "UBND tỉnh Tuyên Quang"]
    assert access.can_act_on(admin, tree["minh_xuan"])
    assert not access.can_act_on(admin, tree["noi_vu_hg"])
    assert access.is_staff_member(admin) and not access.is_platform_admin(admin)


def test_official_of_one_department_sees_only_that_department(tree):
    official = _user("canbo.noivu", Role.OFFICIAL, tree["noi_vu"])
    assert _names(access.visible_agencies(official)) == ["Ban Thi đua - Khen thưởng", "Sở Nội vụ tỉnh Tuyên Quang"]
    assert not access.can_act_on(official, tree["tu_phap"])
    assert not access.can_act_on(official, tree["tq"])  # not upwards either
    # asking for a role the official does not hold narrows to nothing
    assert not access.visible_agencies(official, roles={Role.UNIT_ADMIN}).exists()


def test_filter_visible_on_a_queryset_with_an_agency_field(tree):
    official = _user("canbo.noivu", Role.OFFICIAL, tree["noi_vu"])
    ward = _user("canbo.minhxuan", Role.OFFICIAL, tree["minh_xuan"])
    people = Membership.objects.all()
    assert [m.person.full_name for m in access.filter_visible(people, official)] == ["Nguyễn Văn An"]
    assert [m.person.full_name for m in access.filter_visible(people, ward)] == ["Lê Văn Cường"]
    # a path through a relation, and the agency queryset itself
    assert [p.full_name for p in access.filter_visible(Person.objects.all(), ward, "memberships__agency")] == [
        "Lê Văn Cường"]
    assert _names(access.filter_visible(Agency.objects.all(), ward, agency_field="pk")) == ["UBND phường Minh Xuân"]


def test_roles_in_two_subtrees_add_up(tree):
    user = _user("canbo.haisophong")
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=tree["tu_phap"])
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=tree["noi_vu_hg"])
    assert _names(access.visible_agencies(user)) == ["Sở Nội vụ tỉnh Hà Giang", "Sở Tư pháp tỉnh Tuyên Quang"]


def test_a_citizen_and_an_anonymous_visitor_see_nothing(tree):
    citizen = _user("congdan.hoa", Role.CITIZEN)
    for who in (citizen, AnonymousUser()):
        assert not access.visible_agencies(who).exists()
        assert not access.filter_visible(Membership.objects.all(), who).exists()
        assert not access.is_staff_member(who)
        assert not access.can_act_on(who, tree["minh_xuan"])


def test_a_citizen_role_tied_to_an_agency_still_sees_nothing(tree):
    citizen = _user("congdan.minhxuan", Role.CITIZEN, tree["minh_xuan"])
    assert not access.visible_agencies(citizen).exists()


def test_platform_admins_see_everything(tree):
    by_role = _user("quantri.nentang", Role.PLATFORM_ADMIN)
    superuser = get_user_model().objects.create_superuser("root.hopnhat", password="x")
    for admin in (by_role, superuser):
        assert access.visible_agencies(admin).count() == Agency.objects.count() == 7
        assert access.filter_visible(Membership.objects.all(), admin).count() == 4
        assert access.is_platform_admin(admin) and access.is_staff_member(admin)


def test_a_deactivated_account_loses_its_scope(tree):
    # a transferred official's account is switched off, not deleted: it must stop seeing the old department
    official = _user("canbo.cu", Role.OFFICIAL, tree["noi_vu"], is_active=False)
    superuser = get_user_model().objects.create_superuser("root.cu", password="x", is_active=False)
    for who in (official, superuser):
        assert not access.visible_agencies(who).exists()
        assert not access.is_staff_member(who)
        assert not access.filter_visible(Membership.objects.all(), who).exists()


def test_a_new_child_agency_falls_in_scope_at_once(tree):
    official = _user("canbo.noivu", Role.OFFICIAL, tree["noi_vu"])
    new = ensure_agency(code="000.02.02.H60", name="Chi cục Văn thư - Lưu trữ", parent=tree["noi_vu"], actor=ACTOR)[0]
    assert access.can_act_on(official, new)
