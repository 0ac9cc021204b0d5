"""What two held-out one-door databases found (issue 12, items 7–12): a district one-door system keyed by a row
number (local agency codes, its own status names, a cross-reference column to the city portal's code) and the
city's iGate-style portal (mã định danh, DVCQG status keys, bare procedure numbers, a last-update column), both in
MariaDB as the old systems keep them.

Each test failed on the code before its fix: codes issued by an old system named two dossiers; the portal's code
of a dossier transferred between the systems stopped answering and "closed wins" chose its status; a step the two
systems recorded under different action names was imported twice; a bare procedure number took another
province's (or an inactive) catalogue entry; the public look-up answered with the first of two dossiers sharing a
code and a phone tail; the staff look-up did not say which old system issued each code."""

import datetime
import json
import os
import uuid

import pymysql
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.dossiers import lookup
from hopnhat.dossiers.models import Dossier, DossierAlias, DossierEvent, Procedure, Status

pytestmark = pytest.mark.django_db

QUAN = "motcua-quan-bd"       # the district's one-door database
IGATE = "igate-hanoi"         # the city portal
ACTOR = "system:test-held-out"

QUAN_STATUS = {"Mới nhận": 2, "Đang xử lý": 4, "Chờ bổ sung": 5, "Đã xong": 9, "Đã trả": 10}
QUAN_AGENCY = {"PDC": "000.22.01.H26", "PTB": "000.04.01.H26", "QBD": "000.00.01.H26"}
# a step none of the platform's keeps the district's own name (the mapping's author wrote it down as it is)
QUAN_STEP = {"Tiếp nhận": "receive", "Thụ lý": "process", "Trả kết quả": "return_result",
             "Thẩm định hồ sơ": "Thẩm định hồ sơ"}
IGATE_STATUS = {"new": 2, "processing": 4, "waiting": 5, "releasing": 9, "done": 10}


@pytest.fixture
def mariadb():
    """An empty MariaDB database; yields (url, pymysql connection to it)."""
    name = f"hn_heldout_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True,
                           database=name)
    yield f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4", conn
    conn.close()
    admin.cursor().execute(f"DROP DATABASE `{name}`")
    admin.close()


def _quan_tables(conn, dossiers, steps=()):
    """The district system: row-numbered tables, Vietnamese column names, DATETIME columns."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE tbl_hoso (stt INT PRIMARY KEY, so_hs VARCHAR(60), ma_tt VARCHAR(40), "
                "nguoi_nop VARCHAR(200), cmnd VARCHAR(20), dt VARCHAR(20), don_vi VARCHAR(10), "
                "tinh_trang VARCHAR(50), nhan_luc DATETIME, xong_luc DATETIME, sua_luc DATETIME, "
                "ma_lien_thong VARCHAR(60))")
    cur.execute("CREATE TABLE tbl_xuly (stt INT PRIMARY KEY, so_hs VARCHAR(60), luc DATETIME, "
                "can_bo VARCHAR(200), don_vi VARCHAR(10), buoc VARCHAR(100), tinh_trang VARCHAR(50), "
                "ghi_chu TEXT)")
    cur.executemany("INSERT INTO tbl_hoso VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", dossiers)
    if steps:
        cur.executemany("INSERT INTO tbl_xuly VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", steps)


def _igate_tables(conn, dossiers, steps=()):
    """The city portal: CamelCase columns, dates as dd/mm/yyyy text, bare procedure numbers."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE HoSo (Id INT PRIMARY KEY, SoHoSo VARCHAR(60), MaTTHC VARCHAR(40), "
                "ChuHoSo VARCHAR(200), DienThoai VARCHAR(20), DonViXuLy VARCHAR(20), TrangThai VARCHAR(20), "
                "NgayNop VARCHAR(20), NgayCapNhat VARCHAR(20), MaHoSoLienThong VARCHAR(60))")
    cur.execute("CREATE TABLE TienTrinh (Id INT PRIMARY KEY, SoHoSo VARCHAR(60), ThoiDiem VARCHAR(20), "
                "CanBo VARCHAR(200), DonVi VARCHAR(20), HanhDong VARCHAR(100), TrangThai VARCHAR(20), "
                "NoiDung TEXT)")
    cur.executemany("INSERT INTO HoSo VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", dossiers)
    if steps:
        cur.executemany("INSERT INTO TienTrinh VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", steps)


def _quan_mapping(url, batch_size=1000):
    maps = {"tt": QUAN_STATUS, "dv": QUAN_AGENCY, "buoc": QUAN_STEP}
    return [
        {"system": QUAN, "stream": "hoso", "importer": "dossiers.dossier", "pii": ["cmnd"],
         "source": {"kind": "sql", "url": url, "table": "tbl_hoso", "key": "stt"},
         "fields": {"code": {"from": "so_hs", "required": True}, "procedure": "ma_tt",
                    "applicant_name": {"from": "nguoi_nop", "required": True}, "id_hash": "cmnd", "phone": "dt",
                    "agency": {"from": "don_vi", "map": "dv"}, "status": {"from": "tinh_trang", "map": "tt"},
                    "received_at": "nhan_luc", "finished_at": "xong_luc", "updated_at": "sua_luc",
                    "xref": "ma_lien_thong"},
         "value_maps": maps, "options": {"batch_size": batch_size}},
        {"system": QUAN, "stream": "xuly", "importer": "dossiers.history",
         "source": {"kind": "sql", "url": url, "table": "tbl_xuly", "key": "stt"},
         "fields": {"dossier_code": "so_hs", "at": "luc", "actor": "can_bo", "agency": {"from": "don_vi", "map": "dv"},
                    "action": {"from": "buoc", "map": "buoc"}, "status_to": {"from": "tinh_trang", "map": "tt"},
                    "note": "ghi_chu"},
         "value_maps": maps},
    ]


def _igate_mapping(url):
    maps = {"tt": IGATE_STATUS}
    return [
        {"system": IGATE, "stream": "HoSo", "importer": "dossiers.dossier",
         "source": {"kind": "sql", "url": url, "table": "HoSo", "key": "Id"},
         "fields": {"code": {"from": "SoHoSo", "required": True}, "procedure": "MaTTHC",
                    "applicant_name": {"from": "ChuHoSo", "required": True}, "phone": "DienThoai",
                    "agency": "DonViXuLy", "status": {"from": "TrangThai", "map": "tt"}, "received_at": "NgayNop",
                    "updated_at": "NgayCapNhat", "xref": "MaHoSoLienThong"},
         "value_maps": maps},
        {"system": IGATE, "stream": "TienTrinh", "importer": "dossiers.history",
         "source": {"kind": "sql", "url": url, "table": "TienTrinh", "key": "Id"},
         "fields": {"dossier_code": "SoHoSo", "at": "ThoiDiem", "actor": "CanBo", "agency": "DonVi",
                    "action": "HanhDong", "status_to": {"from": "TrangThai", "map": "tt"}, "note": "NoiDung"},
         "value_maps": maps},
    ]


def _run(spec):
    run = run_mapping(Mapping.from_dict(spec), actor=ACTOR)
    assert run.balanced, run.totals
    return run


def _codes_naming_two_dossiers() -> list[str]:
    holders: dict[str, set[int]] = {}
    for code, dossier_id in DossierAlias.objects.values_list("code", "dossier_id"):
        holders.setdefault(code, set()).add(dossier_id)
    return sorted(code for code, ids in holders.items() if len(ids) > 1)


# -- item 7 ------------------------------------------------------------------------------------------------------

def test_codes_the_old_system_issued_are_never_given_to_another_dossier(hanoi, procedures, mariadb):
    """80 dossiers under the national codes the district issued on 16/6/2025, and 40 received the same day under
    the portal-era local form (BD/2025/…), row-numbered so that the local ones come first and the batches (7
    rows) cut through both: before the fix 40 of the 80 codes named two dossiers."""
    url, conn = mariadb
    rows, stt = [], 0
    for n in range(1, 81):
        if n % 2:   # a local-code dossier of the same unit and day before every other national one
            stt += 1
            rows.append((stt, f"bd/2025/{n:05d}", "1.001193.000.00.00.H26", f"Người nộp {stt}", None,
                         f"09120{stt:05d}", "PDC", "Mới nhận", f"2025-06-16 {8 + n // 10}:{n % 60:02d}:00", None,
                         None, None))
        stt += 1
        rows.append((stt, f"000.22.01.H26-250616-{n:04d}", "1.001193.000.00.00.H26", f"Người nộp {stt}", None,
                     f"09120{stt:05d}", "PDC", "Đang xử lý", f"2025-06-16 {8 + n // 10}:{n % 60:02d}:00", None, None,
                     None))
    _quan_tables(conn, rows)
    run = _run(_quan_mapping(url, batch_size=7)[0])
    assert run.totals["outcomes"]["loaded"] == 120
    assert _codes_naming_two_dossiers() == []
    # every national code names the dossier the district gave it to
    for n in range(1, 81):
        code = f"000.22.01.H26-250616-{n:04d}"
        [holder] = lookup.find(code)
        assert holder.code == code and holder.status == Status.PROCESSING
    # the local-code dossiers were numbered after every issued number of that unit and day
    fresh = sorted(Dossier.objects.filter(status=Status.RECEIVED).values_list("code", flat=True))
    assert fresh == [f"000.22.01.H26-250616-{n:04d}" for n in range(81, 121)]
    assert [d.code for d in lookup.find("BD/2025/00001")] == ["000.22.01.H26-250616-0081"]
    # a later reception that day at that agency is numbered after them too
    from hopnhat.dossiers.codes import next_code

    assert next_code(hanoi.doi_can, datetime.date(2025, 6, 16)) == "000.22.01.H26-250616-0121"


# -- item 8 ------------------------------------------------------------------------------------------------------

def _two_systems(conn_quan, conn_igate):
    """Three dossiers transferred between the systems (the district names the portal's code in ma_lien_thong, or
    the portal names the district's in MaHoSoLienThong) and one that only the district holds."""
    _quan_tables(conn_quan, [
        # received at Đội Cấn, sent to the portal, returned there later: the portal touched it last
        (1, "000.22.01.H26-250605-0011", "1.001193.000.00.00.H26", "Đặng Thị Lụa", None, "0904111222", "PDC",
         "Đang xử lý", "2025-06-05 08:00:00", None, "2025-06-06 10:00:00", "HNG-2025-7001"),
        # decided at the district on 10/6, then re-opened for a supplement at the portal? No: the district's
        # own supplement request of 20/6 is the last word, although the portal shows it closed on 12/6
        (2, "000.04.01.H26-250609-0004", "1.004227.000.00.00.H26", "Kiều Văn Bình", None, "0905333444", "PTB",
         "Chờ bổ sung", "2025-06-09 09:00:00", None, "2025-06-20 15:30:00", None),
        (3, "000.22.01.H26-250611-0002", "2.000884.000.00.00.H26", "Mạc Thị Yến", None, "0906555666", "PDC",
         "Đang xử lý", "2025-06-11 14:00:00", None, "2025-06-11 14:00:00", None),
    ], [
        (1, "000.22.01.H26-250605-0011", "2025-06-05 08:00:00", "Ngô Thị Mai", "PDC", "Tiếp nhận", "Mới nhận",
         "Nhận tại một cửa"),
        (2, "000.22.01.H26-250605-0011", "2025-06-06 10:00:00", "Vũ Văn Nam", "PDC", "Thẩm định hồ sơ",
         "Đang xử lý", "Đủ điều kiện, chuyển Cổng DVC"),
        (3, "000.04.01.H26-250609-0004", "2025-06-09 09:00:00", "Lý Thu Hà", "PTB", "Tiếp nhận", "Mới nhận", ""),
    ])
    _igate_tables(conn_igate, [
        (501, "HNG-2025-7001", "1.001193", "ĐẶNG THỊ LỤA", "0904111222", "000.04.01.H26", "done",
         "05/06/2025 08:00", "14/06/2025 16:45", ""),
        (502, "HNG-2025-7002", "1.004227", "Kiều Văn Bình", "0905333444", "000.04.01.H26", "done",
         "09/06/2025 09:00", "12/06/2025 11:00", "000.04.01.H26-250609-0004"),
    ], [
        # the same step as the district's row 2, which the portal calls by another name
        (9001, "HNG-2025-7001", "06/06/2025 10:00", "vũ văn nam", "000.22.01.H26", "Xét duyệt",
         "processing", "Đủ điều kiện, chuyển Cổng DVC"),
        (9002, "HNG-2025-7001", "14/06/2025 16:45", "Cổng DVC", "000.04.01.H26", "return_result", "done",
         "Trả kết quả qua bưu chính"),
    ])


@pytest.fixture
def two_systems(hanoi, procedures, mariadb):
    url_a, conn_a = mariadb
    name = f"hn_heldout_b_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn_b = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True,
                             database=name)
    _two_systems(conn_a, conn_b)
    quan, igate = _quan_mapping(url_a), _igate_mapping(f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4")
    yield quan, igate
    conn_b.close()
    admin.cursor().execute(f"DROP DATABASE `{name}`")
    admin.close()


def test_a_dossier_in_two_systems_is_one_and_answers_to_every_code(two_systems):
    quan, igate = two_systems
    for spec in (quan[0], igate[0]):
        _run(spec)
    assert Dossier.objects.count() == 3
    [lua] = lookup.find("000.22.01.H26-250605-0011")
    assert lookup.find("HNG-2025-7001") == [lua]
    assert set(lua.aliases.values_list("code", "source_system")) >= {
        ("000.22.01.H26-250605-0011", QUAN), ("HNG-2025-7001", IGATE)}
    # the portal touched it last (14/6 against 6/6): its status and agency, although it is the second system
    assert lua.status == Status.RETURNED and lua.agency.code == "000.04.01.H26"
    assert lua.receiving_agency.code == "000.22.01.H26"
    # the district touched Bình's dossier last (20/6 against 12/6): still waiting for a supplement, not "closed"
    [binh] = lookup.find("HNG-2025-7002")
    assert lookup.find("000.04.01.H26-250609-0004") == [binh]
    assert binh.status == Status.SUPPLEMENT and binh.finished_at is None
    assert [d.applicant_name for d in lookup.find("000.22.01.H26-250611-0002")] == ["Mạc Thị Yến"]


def test_a_later_change_in_either_system_decides_and_an_earlier_one_does_not(two_systems, mariadb):
    quan, igate = two_systems
    for spec in (quan[0], igate[0]):
        _run(spec)
    _url, conn = mariadb
    cur = conn.cursor()
    # the district's record of Lụa changes with an update time of 7/6: the portal's 14/6 still stands
    cur.execute("UPDATE tbl_hoso SET tinh_trang = 'Chờ bổ sung', sua_luc = '2025-06-07 09:00:00' WHERE stt = 1")
    # the district takes Bình's dossier up again on 21/6, after the portal's 12/6: the district decides
    cur.execute("UPDATE tbl_hoso SET tinh_trang = 'Đang xử lý', sua_luc = '2025-06-21 08:00:00' WHERE stt = 2")
    again = _run(quan[0])
    assert again.totals["outcomes"] == {"loaded": 1, "merged": 1, "quarantined": 0, "filtered": 0}
    [lua] = lookup.find("000.22.01.H26-250605-0011")
    assert lua.status == Status.RETURNED and lua.agency.code == "000.04.01.H26"
    assert "another system handled the dossier later" in StagedRecord.objects.get(
        system=QUAN, stream="hoso", key="1").reason
    [binh] = lookup.find("HNG-2025-7002")
    assert binh.status == Status.PROCESSING and binh.agency.code == "000.04.01.H26"


def test_the_cross_reference_answers_before_the_other_system_is_imported(two_systems):
    quan, igate = two_systems
    _run(quan[0])
    [lua] = lookup.find("HNG-2025-7001")     # the district named the portal's code: it answers at once
    assert lua.code == "000.22.01.H26-250605-0011"
    _run(igate[0])
    assert lookup.find("HNG-2025-7001") == [lua] and Dossier.objects.count() == 3


# -- item 9 ------------------------------------------------------------------------------------------------------

def test_a_step_both_systems_recorded_under_their_own_names_is_imported_once(two_systems):
    quan, igate = two_systems
    for spec in (quan[0], igate[0], igate[1], quan[1]):   # the portal's history first
        _run(spec)
    [lua] = lookup.find("HNG-2025-7001")
    steps = list(lua.events.order_by("at", "id").values_list("source_system", "action", "note"))
    assert steps == [
        (QUAN, "receive", "Nhận tại một cửa"),
        (IGATE, "imported", "Đủ điều kiện, chuyển Cổng DVC"),   # the district's "Thẩm định hồ sơ": merged
        (IGATE, "return_result", "Trả kết quả qua bưu chính"),
    ]
    merged = StagedRecord.objects.get(system=QUAN, stream="xuly", key="2")
    assert merged.outcome == "merged"
    # the old name of the step is kept apart from the note, and the staff timeline shows it
    event = DossierEvent.objects.get(source_system=IGATE, source_key="9001")
    assert event.source_action == "Xét duyệt"
    staff = lookup.describe(lua, public=False)["timeline"]
    assert staff[1]["action_label"] == "Xét duyệt" and staff[1]["note"] == "Đủ điều kiện, chuyển Cổng DVC"


# -- item 10 -----------------------------------------------------------------------------------------------------

def test_a_bare_procedure_number_is_the_active_entry_of_the_agencys_province(hanoi, procedures, mariadb):
    Procedure.objects.create(code="1.001193.000.00.00.H22", name="Thủ tục đăng ký khai sinh (Hà Giang)",
                             processing_days=5)
    Procedure.objects.create(code="1.000004.000.00.00.H26", name="Cấp bản sao trích lục (bản cũ)",
                             processing_days=3, active=False)
    Procedure.objects.create(code="1.000004.000.01.00.H26", name="Cấp bản sao trích lục", processing_days=2)
    Procedure.objects.create(code="1.000003.000.00.00.H26", name="Đăng ký kết hôn", processing_days=5)
    Procedure.objects.create(code="1.000003.000.01.00.H26", name="Đăng ký kết hôn có yếu tố nước ngoài",
                             processing_days=15)
    Procedure.objects.create(code="1.000005.000.00.00.H22", name="Chỉ Hà Giang có", processing_days=4)
    Procedure.objects.create(code="1.000005.000.00.00.H30", name="Chỉ Hải Dương có", processing_days=4)
    url, conn = mariadb
    _igate_tables(conn, [
        (1, "HNG-2025-0001", "1.001193", "Lê Thị Xoan", "0911000001", "000.22.01.H26", "new",
         "16/06/2025 08:00", "", ""),
        (2, "HNG-2025-0002", "1.000004", "Lê Văn Sen", "0911000002", "000.22.01.H26", "new",
         "16/06/2025 08:10", "", ""),
        (3, "HNG-2025-0003", "1.000003", "Lê Văn Súng", "0911000003", "000.22.01.H26", "new",
         "16/06/2025 08:20", "", ""),
        (4, "HNG-2025-0004", "1.000005", "Lê Thị Đào", "0911000004", "000.22.01.H26", "new",
         "16/06/2025 08:30", "", ""),
    ])
    run = _run(_igate_mapping(url)[0])
    assert run.totals["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 2, "filtered": 0}
    assert lookup.find("HNG-2025-0001")[0].procedure.code == "1.001193.000.00.00.H26"   # not Hà Giang's
    assert lookup.find("HNG-2025-0002")[0].procedure.code == "1.000004.000.01.00.H26"   # not the inactive one
    two = StagedRecord.objects.get(system=IGATE, key="3")
    assert two.outcome == "quarantined" and "1.000003.000.00.00.H26" in two.reason
    assert "1.000003.000.01.00.H26" in two.reason
    other = StagedRecord.objects.get(system=IGATE, key="4")
    assert other.outcome == "quarantined" and "H26" in other.reason


# -- items 11 and 12 ---------------------------------------------------------------------------------------------

@pytest.fixture
def shared_code(hanoi, procedures, mariadb):
    """The district and the portal both used 000.04.01.H26-250611-0003, for two applicants whose phones end in
    the same four digits."""
    url, conn = mariadb
    _quan_tables(conn, [
        (1, "000.04.01.H26-250611-0003", "1.001193.000.00.00.H26", "Phạm Thị Hồng", None, "0977333444", "PTB",
         "Đã xong", "2025-06-11 10:00:00", "2025-06-13 15:00:00", None, None)])
    name = f"hn_heldout_c_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn_b = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True,
                             database=name)
    _igate_tables(conn_b, [
        (7, "000.04.01.H26-250611-0003", "1.004227", "Vũ Đức Thắng", "0944553444", "000.04.01.H26", "processing",
         "11/06/2025 09:05", "", "")])
    _run(_quan_mapping(url)[0])
    _run(_igate_mapping(f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4")[0])
    cache.clear()
    yield "000.04.01.H26-250611-0003"
    cache.clear()
    conn_b.close()
    admin.cursor().execute(f"DROP DATABASE `{name}`")
    admin.close()


def _ask(client, **body):
    return client.post("/ho-so/api/tra-cuu/", json.dumps(body), content_type="application/json")


def test_two_dossiers_behind_one_code_and_phone_tail_ask_for_one_more_factor(client, shared_code):
    first = _ask(client, code=shared_code, phone="3444")
    assert "dossier" not in first.json() and first.json()["need"] == "applicant_name"
    assert "Hồng" not in first.content.decode() and "Thắng" not in first.content.decode()
    thang = _ask(client, code=shared_code, phone="3444", applicant_name="vu duc thang")   # folded: no diacritics
    assert thang.status_code == 200 and thang.json()["dossier"]["procedure_code"] == "1.004227.000.00.00.H26"
    hong = _ask(client, code=shared_code, phone="3444", applicant_name="PHẠM THỊ HỒNG")
    assert hong.json()["dossier"]["code"] == shared_code
    wrong = _ask(client, code=shared_code, phone="3444", applicant_name="Nguyễn Văn A")
    assert "dossier" not in wrong.json() and wrong.json()["need"] == "applicant_name"
    # the page asks for the name too, in both languages
    page = client.post("/ho-so/tra-cuu/", {"code": shared_code, "phone": "3444"})
    html = page.content.decode()
    assert 'name="applicant_name"' in html and "Họ tên người nộp" in html and "Thắng" not in html


def test_staff_lookup_names_the_old_system_behind_each_code(shared_code, capsys):
    call_command("dossiers", "lookup", shared_code, "--json")
    found = json.loads(capsys.readouterr().out)["dossiers"]
    by_name = {d["applicant_name"]: d for d in found}
    hong, thang = by_name["Phạm Thị Hồng"], by_name["Vũ Đức Thắng"]
    assert hong["codes"] == [{"code": shared_code, "system": QUAN}]
    assert {"code": shared_code, "system": IGATE} in thang["codes"]
    assert {"code": thang["code"], "system": "hopnhat"} in thang["codes"]


# -- item 5, the dossier part ------------------------------------------------------------------------------------

@pytest.fixture
def quarantined_dossier(hanoi, procedures, mariadb):
    """The district's dossier with a status the mapping does not know ("Treo"): quarantined, waiting for a
    decision. Đội Cấn has been split since; Ngọc Hà, its default successor, will receive it."""
    from .conftest import close_old_agencies

    url, conn = mariadb
    _quan_tables(conn, [
        (1, "000.22.01.H26-250620-0005", "2.000884.000.00.00.H26", "Đỗ Văn Lực", None, "0911 000 555", "PDC",
         "Treo", "2025-06-20 08:00:00", None, None, None),
        (2, "000.22.01.H26-250620-0006", "2.000884.000.00.00.H26", "Đỗ Thị Hoa", None, "0911000666", "PDC",
         "Mới nhận", "2025-06-20 08:30:00", None, None, None)])
    run = run_mapping(Mapping.from_dict(_quan_mapping(url)[0]), actor=ACTOR)
    assert run.totals["outcomes"]["quarantined"] == 1
    close_old_agencies(hanoi)
    hanoi.ngoc_ha.contact_phone, hanoi.ngoc_ha.contact_address = "024 3823 4567", "Số 25 Liễu Giai, Ngọc Hà"
    hanoi.ngoc_ha.save()
    cache.clear()
    yield "000.22.01.H26-250620-0005"
    cache.clear()


def test_a_quarantined_dossiers_code_says_it_is_being_transferred_and_whom_to_call(client, quarantined_dossier,
                                                                                   capsys):
    code = quarantined_dossier
    answer = _ask(client, code=code.lower(), phone="0555")
    assert answer.status_code == 200, answer.content.decode()
    body = answer.json()
    assert body["transferring"] and "dossier" not in body
    assert body["contact"]["name"] == "UBND phường Ngọc Hà" and body["contact"]["phone"] == "024 3823 4567"
    assert "Đỗ Văn Lực" not in answer.content.decode()
    # the phone factor still counts: a wrong one is "not found", as for any dossier
    assert _ask(client, code=code, phone="1111").status_code == 404
    # the page, Vietnamese first and complete in English
    html = client.post("/ho-so/tra-cuu/", {"code": code, "phone": "0555"}).content.decode()
    assert "Hồ sơ đang được chuyển sang hệ thống mới" in html and "UBND phường Ngọc Hà" in html
    assert "Không tìm thấy" not in html and "024 3823 4567" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post("/ho-so/tra-cuu/", {"code": code, "phone": "0555"}).content.decode()
    assert "The dossier is being transferred to the new system" in english
    assert "please contact the receiving agency" in english
    # staff see the record and why it waits
    call_command("dossiers", "lookup", code, "--json")
    [waiting] = json.loads(capsys.readouterr().out)["quarantined"]
    assert waiting["system"] == QUAN and "Treo" in waiting["reason"] and waiting["receiving_agency"] == "000.00.08.H26"
