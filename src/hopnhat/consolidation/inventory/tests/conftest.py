"""The few units, agencies and people the inventory tests need, built with the org app's own functions: old
Hà Giang (02) and old Tuyên Quang (08) merged into the new Tuyên Quang (08); Hà Giang's agencies closed into
Tuyên Quang's (mã định danh H22 → H60); Phường Ba Đình (00004) of Hà Nội as the outsider for access tests.
As in the real organisation data, departments carry no unit of their own: they serve their parent's."""


import pytest
from django.contrib.auth import get_user_model

from hopnhat.consolidation.inventory import demo, spreadsheet
from hopnhat.org import testing
from hopnhat.org.agencies import close_agency, ensure_agency
from hopnhat.org.models import REFORM_DATE, Level, Role, RoleAssignment, Vintage

ACTOR = "system:test"
# code, name, parent code, unit key; then the Hà Giang ones closed into the Tuyên Quang successor
AGENCIES = [
    ("000.00.00.H60", "UBND tỉnh Tuyên Quang", None, "tq"),
    ("000.00.01.H60", "Văn phòng UBND tỉnh Tuyên Quang", "000.00.00.H60", None),
    ("000.00.09.H60", "Sở Khoa học và Công nghệ tỉnh Tuyên Quang", "000.00.00.H60", None),
    ("000.01.01.H60", "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang", "000.00.01.H60", None),
    ("000.00.00.H22", "UBND tỉnh Hà Giang", None, "hg"),
    ("000.00.01.H22", "Văn phòng UBND tỉnh Hà Giang", "000.00.00.H22", None),
    ("000.00.12.H22", "Sở Thông tin và Truyền thông tỉnh Hà Giang", "000.00.00.H22", None),
    ("000.01.01.H22", "Trung tâm Phục vụ hành chính công tỉnh Hà Giang", "000.00.01.H22", None),
    ("000.00.00.H26", "UBND thành phố Hà Nội", None, "hn"),
    ("000.00.40.H26", "UBND phường Ba Đình", "000.00.00.H26", "ba_dinh"),
]
CLOSED_INTO = {"000.01.01.H22": "000.01.01.H60", "000.00.12.H22": "000.00.09.H60",
               "000.00.01.H22": "000.00.01.H60", "000.00.00.H22": "000.00.00.H60"}


def _province(vintage, code, name, word="Tỉnh"):
    return testing.unit(vintage, Level.PROVINCE, code, name, unit_type=word)


@pytest.fixture
def agencies(db):
    tq = _province(Vintage.NEW, "08", "Tỉnh Tuyên Quang")
    hn = _province(Vintage.NEW, "01", "Thành phố Hà Nội", "Thành phố")
    units = {"tq": tq, "hn": hn, "hg": _province(Vintage.OLD, "02", "Tỉnh Hà Giang")}
    for old in (units["hg"], _province(Vintage.OLD, "08", "Tỉnh Tuyên Quang")):
        testing.edge(old, tq, "whole", default=True)
    units["ba_dinh"] = testing.unit(Vintage.NEW, Level.WARD, "00004", "Phường Ba Đình", parent=hn)
    made = {}
    for code, name, parent, unit in AGENCIES:
        made[code], _ = ensure_agency(code=code, name=name, parent=made.get(parent), unit=units.get(unit),
                                      actor=ACTOR)
    for old, new in CLOSED_INTO.items():
        close_agency(made[old], reason="merged", successors=[(made[new], "whole", True)], on=REFORM_DATE,
                     actor=ACTOR)
        made[old].refresh_from_db()
    return made


@pytest.fixture
def register(agencies):
    report = spreadsheet.import_register(demo.filled_template(demo.SYSTEMS), actor="nguyen.van.an",
                                         name="ra-soat-tuyen-quang.xlsx")
    assert report.ok, report.summary()
    return report


def _user(username, role, agency):
    user = get_user_model().objects.create_user(username)
    RoleAssignment.objects.create(user=user, role=role, agency=agency)
    return user


@pytest.fixture
def tq_admin(agencies):
    """The provincial IT officer of the new Tuyên Quang: unit administrator at the provincial People's Committee."""
    return _user("nguyen.van.an", Role.UNIT_ADMIN, agencies["000.00.00.H60"])


@pytest.fixture
def tq_official(agencies):
    """An official of a department (no unit of its own): sees the province's register, edits nothing."""
    return _user("tran.thi.binh", Role.OFFICIAL, agencies["000.00.09.H60"])


@pytest.fixture
def hanoi_admin(agencies):
    return _user("le.van.cuong", Role.UNIT_ADMIN, agencies["000.00.40.H26"])
