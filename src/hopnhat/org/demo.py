"""Demo organisation for `hopnhat demo`: the merged Tuyên Quang province (old Tuyên Quang + old Hà Giang) with its
agencies before and after the reform, and one demo user per role.

Other modules' demos run after this one and find these agencies by code (the inventory demo names the same
H60/H22 codes), so keep a code here when a module's demo data points at it.

Agency codes follow the mã định danh format (QĐ 20/2020/QĐ-TTg): the province keeps Tuyên Quang's level-1 code
H60 and Hà Giang's H22 is closed (QĐ 09/2025/QĐ-TTg). The level-2/3 numbers below are made up for the demo.
Loading twice changes nothing: agencies are found by code, closures skipped when done, users kept as they are.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from hopnhat.org.agencies import close_agency, ensure_agency
from hopnhat.org.models import REFORM_DATE, AdminUnit, Agency, AgencyStatus, Level, Role, RoleAssignment, Vintage

ACTOR = "system:demo"
DEMO_PASSWORD = "hopnhat-demo-2025"  # noqa: S105 — printed by `hopnhat demo` on purpose; demo data only
PROVINCE_MERGER = ("Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội về việc sắp xếp đơn vị hành chính "
                   "cấp tỉnh")
COMMUNE_MERGER = ("Nghị quyết của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị hành chính cấp xã của tỉnh "
                  "Tuyên Quang năm 2025")
DEPARTMENT_MERGER = "Quyết định của UBND tỉnh về việc hợp nhất sở theo Nghị quyết 176/2025/QH15 (demo)"
DEPARTMENTS_MERGED_ON = datetime.date(2025, 3, 1)

OLD, NEW = Vintage.OLD, Vintage.NEW
# (key, code, name, parent key, unit (vintage, level, code) or None)
AGENCIES = [
    ("tq", "000.00.00.H60", "UBND tỉnh Tuyên Quang", None, (NEW, Level.PROVINCE, "08")),
    ("tq_vp", "000.00.01.H60", "Văn phòng UBND tỉnh Tuyên Quang", "tq", None),
    ("tq_noivu", "000.00.02.H60", "Sở Nội vụ tỉnh Tuyên Quang", "tq", None),
    ("tq_tuphap", "000.00.03.H60", "Sở Tư pháp tỉnh Tuyên Quang", "tq", None),
    ("tq_taichinh", "000.00.04.H60", "Sở Tài chính tỉnh Tuyên Quang", "tq", None),
    ("tq_khdt", "000.00.05.H60", "Sở Kế hoạch và Đầu tư tỉnh Tuyên Quang", "tq", None),
    ("tq_khcn", "000.00.09.H60", "Sở Khoa học và Công nghệ tỉnh Tuyên Quang", "tq", None),
    ("tq_tthcc", "000.01.01.H60", "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang", "tq_vp", None),
    ("tq_tttt", "000.00.07.H60", "Sở Thông tin và Truyền thông tỉnh Tuyên Quang", "tq", None),
    # the district-level city and district of old Tuyên Quang, and three of the city's old wards
    ("tp_tq", "000.00.31.H60", "UBND thành phố Tuyên Quang", "tq", (OLD, Level.DISTRICT, "070")),
    ("old_phanthiet", "000.01.31.H60", "UBND phường Phan Thiết", "tp_tq", (OLD, Level.WARD, "02200")),
    ("old_minhxuan", "000.02.31.H60", "UBND phường Minh Xuân", "tp_tq", (OLD, Level.WARD, "02203")),
    ("old_doican", "000.05.31.H60", "UBND phường Đội Cấn", "tp_tq", (OLD, Level.WARD, "02524")),
    ("h_yenson", "000.00.36.H60", "UBND huyện Yên Sơn", "tq", (OLD, Level.DISTRICT, "075")),
    # the new commune-level people's committees, directly under the province since 01/7/2025
    ("minhxuan", "000.00.41.H60", "UBND phường Minh Xuân", "tq", (NEW, Level.WARD, "02215")),
    ("nongtien", "000.00.42.H60", "UBND phường Nông Tiến", "tq", (NEW, Level.WARD, "02212")),
    ("antuong", "000.00.43.H60", "UBND phường An Tường", "tq", (NEW, Level.WARD, "02512")),
    ("binhthuan", "000.00.44.H60", "UBND phường Bình Thuận", "tq", (NEW, Level.WARD, "02524")),
    ("mylam", "000.00.45.H60", "UBND phường Mỹ Lâm", "tq", (NEW, Level.WARD, "02509")),
    ("hagiang1", "000.00.46.H60", "UBND phường Hà Giang 1", "tq", (NEW, Level.WARD, "00694")),
    ("hagiang2", "000.00.47.H60", "UBND phường Hà Giang 2", "tq", (NEW, Level.WARD, "00691")),
    ("ngocduong", "000.00.48.H60", "UBND xã Ngọc Đường", "tq", (NEW, Level.WARD, "00700")),
    ("x_yenson", "000.00.49.H60", "UBND xã Yên Sơn", "tq", (NEW, Level.WARD, "02473")),
    ("thaibinh", "000.00.50.H60", "UBND xã Thái Bình", "tq", (NEW, Level.WARD, "02494")),
    ("nhukhe", "000.00.51.H60", "UBND xã Nhữ Khê", "tq", (NEW, Level.WARD, "02530")),
    ("trungson", "000.00.52.H60", "UBND xã Trung Sơn", "tq", (NEW, Level.WARD, "02458")),
    # old Hà Giang, merged into Tuyên Quang
    ("hg", "000.00.00.H22", "UBND tỉnh Hà Giang", None, (OLD, Level.PROVINCE, "02")),
    ("hg_vp", "000.00.01.H22", "Văn phòng UBND tỉnh Hà Giang", "hg", None),
    ("hg_noivu", "000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", "hg", None),
    ("hg_tuphap", "000.00.03.H22", "Sở Tư pháp tỉnh Hà Giang", "hg", None),
    ("hg_tttt", "000.00.12.H22", "Sở Thông tin và Truyền thông tỉnh Hà Giang", "hg", None),
    ("hg_tthcc", "000.01.01.H22", "Trung tâm Phục vụ hành chính công tỉnh Hà Giang", "hg_vp", None),
    ("tp_hg", "000.00.31.H22", "UBND thành phố Hà Giang", "hg", (OLD, Level.DISTRICT, "024")),
]

W, P = "whole", "partial"
# (key, reason, on, legal basis, [(successor key, kind, is_default)]) in an order where successors exist
CLOSURES = [
    ("tq_khdt", "merged", DEPARTMENTS_MERGED_ON, DEPARTMENT_MERGER, [("tq_taichinh", W, True)]),
    ("tq_tttt", "merged", DEPARTMENTS_MERGED_ON, DEPARTMENT_MERGER, [("tq_khcn", P, True)]),
    ("old_phanthiet", "merged", REFORM_DATE, COMMUNE_MERGER, [("minhxuan", W, True)]),
    ("old_minhxuan", "merged", REFORM_DATE, COMMUNE_MERGER, [("minhxuan", W, True)]),
    ("old_doican", "merged", REFORM_DATE, COMMUNE_MERGER, [("binhthuan", W, True)]),
    ("tp_tq", "split", REFORM_DATE, COMMUNE_MERGER, [
        ("minhxuan", P, True), ("nongtien", P, False), ("antuong", P, False), ("binhthuan", P, False),
        ("mylam", P, False)]),
    ("h_yenson", "split", REFORM_DATE, COMMUNE_MERGER, [
        ("x_yenson", P, True), ("thaibinh", P, False), ("nhukhe", P, False), ("trungson", P, False),
        ("mylam", P, False), ("antuong", P, False), ("minhxuan", P, False)]),
    ("tp_hg", "split", REFORM_DATE, COMMUNE_MERGER, [
        ("hagiang1", P, True), ("hagiang2", P, False), ("ngocduong", P, False)]),
    ("hg_tthcc", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq_tthcc", W, True)]),
    ("hg_tttt", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq_khcn", P, True)]),
    ("hg_vp", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq_vp", W, True)]),
    ("hg_noivu", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq_noivu", W, True)]),
    ("hg_tuphap", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq_tuphap", W, True)]),
    ("hg", "merged", REFORM_DATE, PROVINCE_MERGER, [("tq", W, True)]),
]

# (username, full name, role, agency key, what it shows)
USERS = [
    ("quantri", "Đỗ Minh Khoa", Role.PLATFORM_ADMIN, None,
     "quản trị toàn bộ, Django admin, Wagtail / platform admin, both admin sites"),
    ("quantri.tuyenquang", "Hoàng Văn Tuấn", Role.UNIT_ADMIN, "tq",
     "quản trị UBND tỉnh Tuyên Quang và mọi cơ quan trực thuộc / unit admin of the province"),
    ("canbo.noivu", "Nguyễn Thị Lan", Role.OFFICIAL, "tq_noivu", "cán bộ Sở Nội vụ / official of one department"),
    ("canbo.minhxuan", "Trần Văn Minh", Role.OFFICIAL, "minhxuan",
     "cán bộ UBND phường Minh Xuân / official of a ward"),
    ("congdan", "Lê Thị Hoa", Role.CITIZEN, None, "công dân / citizen"),
]


def _unit(spec) -> AdminUnit | None:
    if spec is None:
        return None
    vintage, level, code = spec
    return AdminUnit.objects.filter(vintage=vintage, level=level, code=code).first()


def _load_agencies() -> tuple[dict[str, Agency], int, int]:
    made: dict[str, Agency] = {}
    created = linked = 0
    for key, code, name, parent_key, unit_spec in AGENCIES:
        agency, was_created = ensure_agency(code=code, name=name, parent=made.get(parent_key), actor=ACTOR)
        created += was_created
        unit = _unit(unit_spec)
        # The units may be loaded after the agencies (or not at all in a quick demo): link when they are there.
        if unit and agency.unit_id is None:
            agency.unit = unit
            agency.save(update_fields=["unit"])
            linked += 1
        made[key] = agency
    return made, created, linked


def _close(made: dict[str, Agency]) -> int:
    closed = 0
    for key, reason, on, basis, successors in CLOSURES:
        if made[key].status == AgencyStatus.CLOSED:
            continue
        close_agency(made[key], reason=reason, on=on, legal_basis=basis, actor=ACTOR,
                     successors=[(made[k], kind, default) for k, kind, default in successors])
        closed += 1
    return closed


def _load_users(made: dict[str, Agency]) -> tuple[list[dict], int]:
    User = get_user_model()
    editors = Group.objects.filter(name="Editors").first()  # Wagtail's own group: may edit portal pages
    rows, created = [], 0
    for username, full_name, role, agency_key, shows in USERS:
        family, _, given = full_name.rpartition(" ")
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=given, last_name=family,
                        is_staff=role == Role.PLATFORM_ADMIN, is_superuser=role == Role.PLATFORM_ADMIN)
            user.set_password(DEMO_PASSWORD)
            user.save()
            created += 1
        agency = made.get(agency_key)
        RoleAssignment.objects.get_or_create(user=user, role=role, agency=agency)
        if role == Role.UNIT_ADMIN and editors and not user.groups.filter(pk=editors.pk).exists():
            user.groups.add(editors)
        rows.append({"username": username, "password": DEMO_PASSWORD, "name": full_name, "role": role,
                     "agency": agency.name if agency else None, "shows": shows})
    return rows, created


def load_demo(stdout=None) -> dict:
    with transaction.atomic():
        made, created, linked = _load_agencies()
        closed = _close(made)
        users, users_created = _load_users(made)
    result = {
        "agencies": {"total": len(made), "created": created, "closed": closed, "linked_to_units": linked,
                     "active": sum(a.status == AgencyStatus.ACTIVE for a in made.values())},
        "users": users,
        "users_created": users_created,
    }
    if stdout is not None:
        stdout.write(f"Cơ quan demo / demo agencies: {len(made)} ({created} mới / new, {closed} vừa đóng / "
                     f"closed now, {result['agencies']['active']} đang hoạt động / active)\n")
    return result
