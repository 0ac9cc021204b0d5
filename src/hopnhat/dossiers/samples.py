"""Two old one-door systems of Quận Ba Đình (Hà Nội) as they stood on 30/6/2025, for the demo and the tests:

* `motcua-badinh`: the district's one-door database (MariaDB in production; any SQLAlchemy URL here), tables
  `hoso` and `hoso_xuly`, its own status names and its own agency codes (QBD, PDC, PTB);
* `dvc-hanoi`: the city public-service portal's CSV export (`ho_so.csv`, `qua_trinh_xu_ly.csv`), DVCQG's English
  status keys, dates as dd/mm/yyyy.

They overlap the way real ones do: one dossier is in both (received online, handled at the desk), one code was
used by both for different dossiers, the portal has a dossier under a local code, and each has a record that
cannot be loaded (an unknown status; history of that dossier).
"""

import csv
import datetime
from pathlib import Path

from hopnhat.org import agencies
from hopnhat.org.models import REFORM_DATE, AdminUnit, Agency, AgencyStatus, Level, Vintage

from .models import Procedure

MOTCUA = "motcua-badinh"
DVC = "dvc-hanoi"
ACTOR = "system:dossiers-samples"

PROCEDURES = [
    {"code": "1.001193.000.00.00.H26", "name": "Thủ tục đăng ký khai sinh", "field_code": "G09-TP01",
     "field_name": "Hộ tịch", "levels": ["Cấp xã"], "processing_days": 3,
     "papers": [{"name": "Tờ khai đăng ký khai sinh", "copies": 1}]},
    {"code": "2.000884.000.00.00.H26", "name": "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản",
     "field_code": "G09-TP05", "field_name": "Chứng thực", "levels": ["Cấp xã"], "processing_days": 1,
     "fees": [{"name": "Lệ phí chứng thực", "amount": 10000}]},
    {"code": "1.004227.000.00.00.H26", "name": "Đăng ký biến động quyền sử dụng đất", "field_code": "G12-DD",
     "field_name": "Đất đai", "levels": ["Cấp huyện", "Cấp xã"], "processing_days": 10,
     "fees": [{"name": "Lệ phí đăng ký biến động", "amount": 30000}]},
]

OLD, NEW = Vintage.OLD, Vintage.NEW
# (key, mã định danh, name, parent key, unit (vintage, level, GSO code))
AGENCIES = [
    ("city", "000.00.00.H26", "UBND Thành phố Hà Nội", None, (NEW, Level.PROVINCE, "01")),
    ("district", "000.00.01.H26", "UBND quận Ba Đình", "city", (OLD, Level.DISTRICT, "001")),
    ("doi_can", "000.22.01.H26", "UBND phường Đội Cấn", "city", (OLD, Level.WARD, "00022")),
    ("truc_bach", "000.04.01.H26", "UBND phường Trúc Bạch", "city", (OLD, Level.WARD, "00004")),
    ("ba_dinh", "000.00.04.H26", "UBND phường Ba Đình", "city", (NEW, Level.WARD, "00004")),
    ("ngoc_ha", "000.00.08.H26", "UBND phường Ngọc Hà", "city", (NEW, Level.WARD, "00008")),
    ("giang_vo", "000.00.25.H26", "UBND phường Giảng Võ", "city", (NEW, Level.WARD, "00025")),
]
# Where citizens reach the agencies that act today (their one-stop desks), for the public look-up's "whom to
# contact" (sample numbers and addresses, not the real ones)
CONTACTS = {
    "ba_dinh": ("024 3823 0001", "motcua.badinh@example.hanoi.gov.vn", "Số 4 Ngọc Hà, Phường Ba Đình, Hà Nội"),
    "ngoc_ha": ("024 3823 0002", "motcua.ngocha@example.hanoi.gov.vn", "Số 25 Liễu Giai, Phường Ngọc Hà, Hà Nội"),
    "giang_vo": ("024 3823 0003", "motcua.giangvo@example.hanoi.gov.vn", "Số 1 Giảng Võ, Phường Giảng Võ, Hà Nội"),
}
# What the reform did to them on 1/7/2025: (key, reason, [(successor key, kind, is_default)])
CLOSURES = [
    ("doi_can", "split", [("ba_dinh", "partial", False), ("ngoc_ha", "partial", True)]),
    ("truc_bach", "merged", [("ba_dinh", "whole", True)]),
    ("district", "abolished", [("ba_dinh", "partial", True), ("ngoc_ha", "partial", False),
                               ("giang_vo", "partial", False)]),
]


def ensure_procedures() -> dict[str, Procedure]:
    return {p["code"]: Procedure.objects.get_or_create(code=p["code"], defaults=p)[0] for p in PROCEDURES}


def ensure_agencies() -> dict[str, Agency]:
    """The agencies of Quận Ba Đình before and after the reform, linked to their units when those are loaded."""
    made: dict[str, Agency] = {}
    for key, code, name, parent, (vintage, level, unit_code) in AGENCIES:
        unit = AdminUnit.objects.filter(vintage=vintage, level=level, code=unit_code).first()
        made[key] = agencies.ensure_agency(code=code, name=name, parent=made.get(parent), unit=unit, actor=ACTOR)[0]
        if key in CONTACTS and not made[key].contact_phone:
            phone, email, address = CONTACTS[key]
            Agency.objects.filter(pk=made[key].pk).update(contact_phone=phone, contact_email=email,
                                                          contact_address=address)
            made[key].contact_phone, made[key].contact_email, made[key].contact_address = phone, email, address
    return made


def close_agencies(made: dict[str, Agency]) -> int:
    closed = 0
    for key, reason, successors in CLOSURES:
        if made[key].status == AgencyStatus.ACTIVE:
            agencies.close_agency(made[key], reason=reason, on=REFORM_DATE, actor=ACTOR,
                                  successors=[(made[k], kind, default) for k, kind, default in successors])
            closed += 1
    return closed

MOTCUA_STATUS = {"Mới tiếp nhận": 2, "Đang giải quyết": 4, "Chờ bổ sung": 5, "Đã có kết quả": 9,
                 "Đã trả kết quả": 10, "Từ chối": 8}
MOTCUA_AGENCY = {"QBD": "000.00.01.H26", "PDC": "000.22.01.H26", "PTB": "000.04.01.H26"}
MOTCUA_STEP = {"Tiếp nhận": "receive", "Chuyển xử lý": "assign", "Thụ lý": "process",
               "Yêu cầu bổ sung": "request_supplement", "Phê duyệt": "approve", "Trả kết quả": "return_result"}
DVC_STATUS = {"receiving": 1, "new": 2, "denied": 3, "processing": 4, "waiting": 5, "paying": 6, "cancelled": 7,
              "unresolved": 8, "releasing": 9, "done": 10}

_H = ["ma_hoso", "ma_thutuc", "ten_nguoi_nop", "so_cmnd", "dien_thoai", "dia_chi", "ma_donvi", "trang_thai",
      "ngay_nhan", "ngay_hen_tra", "ngay_xong", "ngay_tra", "ket_qua"]
MOTCUA_HOSO = [dict(zip(_H, row, strict=True)) for row in [
    ("000.22.01.H26-250610-0001", "1.001193.000.00.00.H26", "Nguyễn Văn Hùng", "001085012345", "0912345678",
     "Số 5 phố Đội Cấn, Phường Đội Cấn, Quận Ba Đình, Hà Nội", "PDC", "Đang giải quyết",
     "2025-06-10 08:15:00", "2025-06-13", None, None, ""),
    ("000.00.01.H26-250612-0007", "1.004227.000.00.00.H26", "Trần Thị Thu", "001190067890", "0987654321",
     "Số 12 Trấn Vũ, Phường Trúc Bạch, Quận Ba Đình, Hà Nội", "QBD", "Chờ bổ sung",
     "2025-06-12 14:00:00", "2025-06-26", None, None, ""),
    ("000.22.01.H26-250603-0002", "2.000884.000.00.00.H26", "Lê Văn Tám", "001079011122", "0903111222",
     "Phường Đội Cấn, Quận Ba Đình, Hà Nội", "PDC", "Đã trả kết quả",
     "2025-06-03 09:30:00", "2025-06-04", "2025-06-03 16:00:00", "2025-06-04 10:00:00", "Đã chứng thực 2 bản"),
    ("000.04.01.H26-250611-0003", "1.001193.000.00.00.H26", "Phạm Thị Hồng", "001195033344", "0977333444",
     "Số 3 Phó Đức Chính, Phường Trúc Bạch, Quận Ba Đình, Hà Nội", "PTB", "Đã có kết quả",
     "2025-06-11 10:00:00", "2025-06-16", "2025-06-13 15:00:00", None, "Giấy khai sinh số 123/2025"),
    ("000.22.01.H26-250620-0005", "2.000884.000.00.00.H26", "Đỗ Văn Lực", "", "0911000555",
     "Phường Đội Cấn, Quận Ba Đình, Hà Nội", "PDC", "Treo", "2025-06-20 08:00:00", "2025-06-23", None, None, ""),
]]

_X = ["id", "ma_hoso", "thoi_gian", "nguoi_xu_ly", "chuc_vu", "ma_donvi", "buoc", "trang_thai", "ghi_chu"]
MOTCUA_XULY = [dict(zip(_X, row, strict=True)) for row in [
    (1, "000.22.01.H26-250610-0001", "2025-06-10 08:15:00", "Ngô Thị Mai", "Công chức một cửa", "PDC",
     "Tiếp nhận", "Mới tiếp nhận", "Tiếp nhận tại bộ phận một cửa"),
    (2, "000.22.01.H26-250610-0001", "2025-06-10 14:20:00", "Vũ Văn Nam", "Công chức tư pháp - hộ tịch", "PDC",
     "Thụ lý", "Đang giải quyết", ""),
    (3, "000.00.01.H26-250612-0007", "2025-06-12 14:00:00", "Đinh Thị Lan", "Chuyên viên", "QBD",
     "Tiếp nhận", "Mới tiếp nhận", ""),
    (4, "000.00.01.H26-250612-0007", "2025-06-13 09:00:00", "Hà Minh Tuấn", "Chuyên viên địa chính", "QBD",
     "Thụ lý", "Đang giải quyết", ""),
    (5, "000.00.01.H26-250612-0007", "2025-06-18 10:30:00", "Hà Minh Tuấn", "Chuyên viên địa chính", "QBD",
     "Yêu cầu bổ sung", "Chờ bổ sung", "Bổ sung bản sao hợp đồng chuyển nhượng"),
    (6, "000.22.01.H26-250603-0002", "2025-06-03 09:30:00", "Ngô Thị Mai", "Công chức một cửa", "PDC",
     "Tiếp nhận", "Mới tiếp nhận", ""),
    (7, "000.22.01.H26-250603-0002", "2025-06-03 16:00:00", "Vũ Văn Nam", "Công chức tư pháp - hộ tịch", "PDC",
     "Phê duyệt", "Đã có kết quả", ""),
    (8, "000.22.01.H26-250603-0002", "2025-06-04 10:00:00", "Ngô Thị Mai", "Công chức một cửa", "PDC",
     "Trả kết quả", "Đã trả kết quả", ""),
    (9, "000.04.01.H26-250611-0003", "2025-06-11 10:00:00", "Lý Thu Hà", "Công chức một cửa", "PTB",
     "Tiếp nhận", "Mới tiếp nhận", ""),
    (10, "000.04.01.H26-250611-0003", "2025-06-13 15:00:00", "Lý Thu Hà", "Công chức tư pháp - hộ tịch", "PTB",
     "Phê duyệt", "Đã có kết quả", ""),
    (11, "000.22.01.H26-250620-0005", "2025-06-20 08:00:00", "Ngô Thị Mai", "Công chức một cửa", "PDC",
     "Tiếp nhận", "Mới tiếp nhận", ""),
]]

DVC_HOSO = [
    {"MaHoSo": "000.22.01.H26-250610-0001", "MaTTHC": "1.001193", "ChuHoSo": "Nguyễn Văn Hùng",
     "SoDinhDanh": "001085012345", "SoDienThoai": "0912345678", "DiaChi": "Số 5 phố Đội Cấn, Phường Đội Cấn, "
     "Quận Ba Đình, Hà Nội", "MaDonVi": "000.22.01.H26", "TrangThai": "processing",
     "NgayTiepNhan": "10/06/2025 08:15", "NgayHenTra": "13/06/2025", "KenhThucHien": "2"},
    {"MaHoSo": "HNDVC-2025-000123", "MaTTHC": "2.000884", "ChuHoSo": "Bùi Thị Thanh Xuân",
     "SoDinhDanh": "001192044455", "SoDienThoai": "0936444555", "DiaChi": "Số 40 Hoàng Hoa Thám, Phường Ngọc Hà,"
     " Quận Ba Đình, Hà Nội", "MaDonVi": "000.22.01.H26", "TrangThai": "new",
     "NgayTiepNhan": "27/06/2025 15:40", "NgayHenTra": "30/06/2025", "KenhThucHien": "2"},
    {"MaHoSo": "000.04.01.H26-250611-0003", "MaTTHC": "1.004227", "ChuHoSo": "Vũ Đức Thắng",
     "SoDinhDanh": "001088055566", "SoDienThoai": "0944555666", "DiaChi": "Số 7 Hàng Bún, Phường Trúc Bạch, "
     "Quận Ba Đình, Hà Nội", "MaDonVi": "000.04.01.H26", "TrangThai": "processing",
     "NgayTiepNhan": "11/06/2025 09:05", "NgayHenTra": "25/06/2025", "KenhThucHien": "2"},
]

DVC_QUA_TRINH = [
    {"Id": "q1", "MaHoSo": "000.22.01.H26-250610-0001", "ThoiDiem": "10/06/2025 08:15",
     "NguoiXuLy": "Ngô Thị Mai", "DonVi": "000.22.01.H26", "ThaoTac": "receive", "TrangThai": "new",
     "NoiDung": "Tiếp nhận tại bộ phận một cửa"},
    {"Id": "q2", "MaHoSo": "000.22.01.H26-250610-0001", "ThoiDiem": "09/06/2025 21:03",
     "NguoiXuLy": "Nguyễn Văn Hùng", "DonVi": "000.22.01.H26", "ThaoTac": "submit", "TrangThai": "receiving",
     "NoiDung": "Nộp trực tuyến trên Cổng Dịch vụ công"},
    {"Id": "q3", "MaHoSo": "HNDVC-2025-000123", "ThoiDiem": "27/06/2025 15:40", "NguoiXuLy": "Cổng DVC",
     "DonVi": "000.22.01.H26", "ThaoTac": "receive", "TrangThai": "new", "NoiDung": ""},
    {"Id": "q4", "MaHoSo": "000.04.01.H26-250611-0003", "ThoiDiem": "11/06/2025 09:05", "NguoiXuLy": "Lý Thu Hà",
     "DonVi": "000.04.01.H26", "ThaoTac": "receive", "TrangThai": "new", "NoiDung": ""},
    {"Id": "q5", "MaHoSo": "000.04.01.H26-250611-0003", "ThoiDiem": "12/06/2025 08:30", "NguoiXuLy": "Hà Minh Tuấn",
     "DonVi": "000.00.01.H26", "ThaoTac": "process", "TrangThai": "processing", "NoiDung": ""},
]


def write_motcua(url: str) -> None:
    """Create the one-door tables at `url` (an empty database) and fill them."""
    import sqlalchemy as sa

    meta = sa.MetaData()
    hoso = sa.Table("hoso", meta, sa.Column("ma_hoso", sa.String(60), primary_key=True),
                    *(sa.Column(c, sa.String(300)) for c in _H[1:8]),
                    sa.Column("ngay_nhan", sa.DateTime), sa.Column("ngay_hen_tra", sa.Date),
                    sa.Column("ngay_xong", sa.DateTime), sa.Column("ngay_tra", sa.DateTime),
                    sa.Column("ket_qua", sa.String(500)))
    xuly = sa.Table("hoso_xuly", meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("ma_hoso", sa.String(60)), sa.Column("thoi_gian", sa.DateTime),
                    *(sa.Column(c, sa.String(300)) for c in _X[3:]))
    engine = sa.create_engine(url)
    meta.create_all(engine)

    def typed(row):
        out = dict(row)
        for key in ("ngay_nhan", "ngay_xong", "ngay_tra", "thoi_gian"):
            if out.get(key):
                out[key] = _dt(out[key])
        if out.get("ngay_hen_tra"):
            out["ngay_hen_tra"] = _dt(out["ngay_hen_tra"]).date()
        return out

    with engine.begin() as conn:
        conn.execute(hoso.insert(), [typed(r) for r in MOTCUA_HOSO])
        conn.execute(xuly.insert(), [typed(r) for r in MOTCUA_XULY])
    engine.dispose()


def _dt(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)  # noqa: DTZ007 — the old system stores Vietnam wall time


def write_dvc(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (("ho_so.csv", DVC_HOSO), ("qua_trinh_xu_ly.csv", DVC_QUA_TRINH)):
        with (directory / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def mappings(motcua_url: str, dvc_dir: Path) -> list[dict]:
    """The four mappings in the order they must run: every system's dossiers, then every system's history."""
    motcua_maps = {"trangthai": MOTCUA_STATUS, "donvi": MOTCUA_AGENCY, "buoc": MOTCUA_STEP}
    dvc_maps = {"trangthai": DVC_STATUS}
    return [
        {"system": MOTCUA, "stream": "hoso", "importer": "dossiers.dossier",
         "source": {"kind": "sql", "url": motcua_url, "table": "hoso", "key": "ma_hoso"},
         "pii": ["so_cmnd", {"dien_thoai": "hash"}, {"dia_chi": "drop"}],  # staging keeps no phone or address
         "fields": {"code": {"from": "ma_hoso", "required": True}, "procedure": "ma_thutuc",
                    "applicant_name": {"from": "ten_nguoi_nop", "required": True}, "id_hash": "so_cmnd",
                    "phone": "dien_thoai", "address": "dia_chi", "agency": {"from": "ma_donvi", "map": "donvi"},
                    "status": {"from": "trang_thai", "map": "trangthai"}, "received_at": "ngay_nhan",
                    "due_date": {"from": "ngay_hen_tra", "type": "date"}, "finished_at": "ngay_xong",
                    "returned_at": "ngay_tra", "result": "ket_qua"},
         "value_maps": motcua_maps},
        {"system": DVC, "stream": "ho_so", "importer": "dossiers.dossier",
         "source": {"kind": "csv", "path": str(dvc_dir / "ho_so.csv"), "key": "MaHoSo"},
         "pii": ["SoDinhDanh", {"SoDienThoai": "hash"}, {"DiaChi": "drop"}],
         "fields": {"code": {"from": "MaHoSo", "required": True}, "procedure": "MaTTHC",
                    "applicant_name": {"from": "ChuHoSo", "required": True}, "id_hash": "SoDinhDanh",
                    "phone": "SoDienThoai", "address": "DiaChi", "agency": "MaDonVi",
                    "status": {"from": "TrangThai", "map": "trangthai"}, "received_at": "NgayTiepNhan",
                    "due_date": {"from": "NgayHenTra", "type": "date"}, "channel": "KenhThucHien"},
         "value_maps": dvc_maps},
        {"system": MOTCUA, "stream": "hoso_xuly", "importer": "dossiers.history",
         "source": {"kind": "sql", "url": motcua_url, "table": "hoso_xuly", "key": "id"},
         "fields": {"dossier_code": "ma_hoso", "at": "thoi_gian", "actor": "nguoi_xu_ly", "actor_title": "chuc_vu",
                    "agency": {"from": "ma_donvi", "map": "donvi"}, "action": {"from": "buoc", "map": "buoc"},
                    "status_to": {"from": "trang_thai", "map": "trangthai"}, "note": "ghi_chu"},
         "value_maps": motcua_maps},
        {"system": DVC, "stream": "qua_trinh", "importer": "dossiers.history",
         "source": {"kind": "csv", "path": str(dvc_dir / "qua_trinh_xu_ly.csv"), "key": "Id"},
         "fields": {"dossier_code": "MaHoSo", "at": "ThoiDiem", "actor": "NguoiXuLy", "agency": "DonVi",
                    "action": "ThaoTac", "status_to": {"from": "TrangThai", "map": "trangthai"},
                    "note": "NoiDung"},
         "value_maps": dvc_maps},
    ]
