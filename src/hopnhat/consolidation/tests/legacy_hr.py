"""A realistic messy old HR system for the tests: Hà Giang's staff database in the local MariaDB (names and
titles in TCVN3 bytes in latin1 columns, dates as text, NULLs, impossible dates, orphan rows) and Tuyên Quang's
staff list as an Excel file, with people who worked in both provinces."""

import datetime
import uuid

import openpyxl
import pymysql

from hopnhat.consolidation.encodings import unicode_to_legacy
from hopnhat.org import testing
from hopnhat.org.agencies import close_agency
from hopnhat.org.models import REFORM_DATE, Agency, Level, Vintage

MARIADB = {"host": "127.0.0.1", "user": "root", "password": "", "charset": "utf8mb4"}


def to_tcvn3(text: str) -> str:
    """Unicode → the TCVN3 surface text (one Latin-1 character per legacy byte), as an old system stored it."""
    return unicode_to_legacy(text, "tcvn3")


def to_vni(text: str) -> str:
    return unicode_to_legacy(text, "vni")


# Hà Giang HR: (id, name, birth date text, CCCD, email, phone, old agency code, title, updated at)
HAGIANG_STAFF = [
    (1, "Nguyễn Văn Hùng", "1978-04-12", "002078001234", "hung.nv@hagiang.gov.vn", "0912345678", "SNV-HG",
     "Giám đốc", "2025-05-01 08:00:00"),
    (2, "Lê Thị Mai", "1985-11-30", "002185004321", "mai.lt@hagiang.gov.vn", None, "SNV-HG", "Phó Giám đốc",
     "2025-05-01 08:00:00"),
    (3, "Đặng Quốc Bảo", "0000-00-00", "002090005555", None, None, "SNV-HG", "Chuyên viên", "2025-05-02 09:00:00"),
    (4, "Hoàng Văn Tùng", "2023-02-30", None, None, None, "STC-HG", "Chuyên viên", "2025-05-02 09:00:00"),
    (5, None, "1990-01-01", None, None, None, "SNV-HG", "Chuyên viên", "2025-05-02 09:00:00"),
    (6, "Vũ Thị Lan", "15/03/1988", "002188007777", "lan.vt@hagiang", None, "SNV-HG", "Chuyên viên",
     "2025-05-03 10:00:00"),
    (7, "Triệu Văn Sơn", "1982-07-07", "002082008888", None, None, "PHONG-DA-GIAI-THE", "Chuyên viên",
     "2025-05-03 10:00:00"),
    (8, "Phạm Thu Hà", "1992-09-09", "00219", None, None, "STC-HG", "Kế toán", "2025-05-03 10:00:00"),
    (9, "Bùi Đức Thắng", "1980-01-15", None, "thang.bd@hagiang.gov.vn", None, "STC-HG", "Trưởng phòng",
     "2025-05-04 11:00:00"),
    (10, "Lò Thị Dung", "1995-12-01", "002195001111", None, None, "STC-HG", "Chuyên viên", "2025-05-04 11:00:00"),
]
HAGIANG_BAD = {3: "birth_date", 4: "birth_date", 5: "full_name", 6: "email", 7: "agency_code", 8: "cccd"}

# Tuyên Quang staff list (Excel): the same Nguyễn Văn Hùng (same CCCD → merged), a Bùi Đức Thắng with the same
# birth date and no CCCD (→ review queue), and two of their own.
TUYENQUANG_STAFF = [
    ("TQ-001", "Nguyễn Văn Hùng", datetime.date(1978, 4, 12), "002078001234", "hung.nv@tuyenquang.gov.vn",
     "000.00.02.H60", "Phó Giám đốc"),
    ("TQ-002", "Bùi Đức Thắng", datetime.date(1980, 1, 15), None, "thangbd@tuyenquang.gov.vn", "000.00.02.H60",
     "Chuyên viên"),
    ("TQ-003", "Ma Thị Hiền", datetime.date(1987, 6, 20), "008187002222", None, "000.00.02.H60", "Chuyên viên"),
    ("TQ-004", "Nông Văn Khải", datetime.date(1979, 2, 28), "008079003333", "Khai.NV@TuyenQuang.gov.vn",
     "000.00.02.H60", "Chánh Văn phòng"),
]


def make_units_and_agencies():
    """Tỉnh Hà Giang (02, old) merged whole into Tỉnh Tuyên Quang (08, new); the old Sở Nội vụ and Sở Tài chính
    of Hà Giang and the Sở Nội vụ of Tuyên Quang."""
    old_hg = testing.unit(Vintage.OLD, Level.PROVINCE, "02", "Tỉnh Hà Giang")
    new_tq = testing.unit(Vintage.NEW, Level.PROVINCE, "08", "Tỉnh Tuyên Quang")
    testing.edge(old_hg, new_tq, "whole", default=True)
    snv_hg = Agency.objects.create(code="000.00.02.H22", name="Sở Nội vụ tỉnh Hà Giang", unit=old_hg)
    stc_hg = Agency.objects.create(code="000.00.05.H22", name="Sở Tài chính tỉnh Hà Giang", unit=old_hg)
    snv_tq = Agency.objects.create(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang", unit=new_tq)
    close_agency(snv_hg, reason="merged", successors=[(snv_tq, "whole", True)], on=REFORM_DATE,
                 legal_basis="Nghị quyết 202/2025/QH15", actor="system:test")
    snv_hg.refresh_from_db()
    return {"old_hg": old_hg, "new_tq": new_tq, "snv_hg": snv_hg, "stc_hg": stc_hg, "snv_tq": snv_tq}


class LegacyHr:
    """One throw-away MariaDB database `hn_engine_<random>` holding Hà Giang's old HR tables."""

    def __init__(self):
        self.name = f"hn_engine_{uuid.uuid4().hex[:10]}"
        self.url = f"mysql+pymysql://root@127.0.0.1:3306/{self.name}?charset=utf8mb4"

    def connect(self):
        return pymysql.connect(database=self.name, autocommit=True, **MARIADB)

    def create(self, staff=HAGIANG_STAFF):
        server = pymysql.connect(autocommit=True, **MARIADB)
        with server.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
        server.close()
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("""CREATE TABLE nhan_su (
                id INT PRIMARY KEY,
                ho_ten VARCHAR(100) CHARACTER SET latin1 NULL,
                ngay_sinh VARCHAR(20) NULL,
                so_cccd VARCHAR(20) NULL,
                email VARCHAR(100) NULL,
                dien_thoai VARCHAR(20) NULL,
                ma_don_vi VARCHAR(30) NULL,
                chuc_vu VARCHAR(100) CHARACTER SET latin1 NULL,
                ngay_cap_nhat DATETIME NOT NULL)""")
            for row in staff:
                self.insert(cur, row)
        return self

    @staticmethod
    def insert(cur, row):
        pk, name, birth, cccd, email, phone, unit, title, updated = row
        cur.execute("INSERT INTO nhan_su VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (pk, to_tcvn3(name) if name else None, birth, cccd, email, phone, unit, to_tcvn3(title),
                     updated))

    def execute(self, sql, params=()):
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)

    def drop(self):
        server = pymysql.connect(autocommit=True, **MARIADB)
        with server.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
        server.close()

    def mapping(self, **options) -> dict:
        return {
            "system": "hr-hagiang", "system_type": "hr", "stream": "people", "importer": "org.people",
            "source": {"kind": "sql", "url": self.url, "table": "nhan_su",
                       "legacy_encoding": {"tcvn3": ["ho_ten", "chuc_vu"]}},
            "key": "id", "cursor": "ngay_cap_nhat", "pii": ["so_cccd"],
            "fields": {
                "full_name": {"from": "ho_ten", "required": True},
                "birth_date": {"from": "ngay_sinh", "type": "date"},
                "national_id_hash": "so_cccd", "email": "email", "phone": "dien_thoai",
                "agency_code": "ma_don_vi", "position": "chuc_vu",
            },
            "crosswalks": {"agency": {"SNV-HG": "000.00.02.H22", "STC-HG": "000.00.05.H22"}},
            "duplicates": {"exact": ["national_id_hash"], "fuzzy": [["name_key", "birth_date"]]},
            "options": {"batch_size": 4, **options},
        }


def tuyenquang_workbook(path, staff=TUYENQUANG_STAFF):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cán bộ"
    sheet.append(["Danh sách cán bộ Sở Nội vụ tỉnh Tuyên Quang"])
    sheet.append(["Mã CB", "Họ và tên", "Ngày sinh", "Số CCCD", "Email", "Mã đơn vị", "Chức vụ"])
    for row in staff:
        sheet.append(list(row))
    book.save(path)
    return path


def tuyenquang_mapping(path) -> dict:
    return {
        "system": "hr-tuyenquang", "system_type": "hr", "stream": "people", "importer": "org.people",
        "source": {"kind": "excel", "path": str(path), "sheet": "Cán bộ", "header_row": 2, "key": "Mã CB"},
        "pii": ["Số CCCD"],
        "fields": {"full_name": {"from": "Họ và tên", "required": True},
                   "birth_date": {"from": "Ngày sinh", "type": "date"}, "national_id_hash": "Số CCCD",
                   "email": "Email", "agency_code": "Mã đơn vị", "position": "Chức vụ"},
    }
