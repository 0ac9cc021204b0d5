"""Two old document systems of the merged Tuyên Quang province as they stood on 30/6/2025, for the demo and the
tests, shaped differently the way real ones are:

* `hagiang-qlvb` — old Hà Giang province's document system (UBND tỉnh and Sở Nội vụ): one table `vanban` for
  incoming and outgoing (a DEN/DI column), a processing-history table `vanban_xuly` (staff ids the HR import
  knows), a file table `vanban_tep`; its own unit codes (HG-UBND, HG-SNV); numbers typed in several forms.
* `qlvb-yenson` — old UBND huyện Yên Sơn's system (abolished on 1/7/2025): separate tables `vb_den` and `vb_di`,
  attachments as file paths on disk (`tep_dinh_kem`, several separated by ";"), a history table `lich_su`, and its
  Vietnamese text stored in TCVN3 (ABC) in latin1 columns.

They overlap as real ones do: Hà Giang's công văn 45/UBND-NC was sent to Yên Sơn and registered there as "Số 45
/UBND-NC" (one document, two sides, both histories); Sở Nội vụ registered the ministry's notice 07/TB-BNV twice;
one file is missing on disk and one is a password-protected PDF; one row has neither number nor subject; one
history row names a document that does not exist.
"""

import datetime
import io
from pathlib import Path

HAGIANG, YENSON = "hagiang-qlvb", "qlvb-yenson"   # register codes (consolidation.inventory)
HR_HAGIANG = "hr-hagiang"   # the staff import that knows Hà Giang's staff ids
ACTOR = "system:documents-samples"

# Hà Giang's own unit codes → mã định danh
HG_UNITS = {"HG-UBND": "000.00.00.H22", "HG-SNV": "000.00.02.H22"}
HG_KIND = {"DEN": "incoming", "DI": "outgoing"}
URGENCY = {"Thường": 0, "Khẩn": 1, "Thượng khẩn": 2, "Hỏa tốc": 3}
HG_ACTIONS = {"Soạn thảo": "draft", "Ký ban hành": "sign", "Phát hành": "issue", "Vào sổ": "register",
              "Phân công": "assign", "Cho ý kiến": "opinion", "Chỉ đạo": "direction", "Hoàn thành": "done"}
YS_ACTIONS = {"Vào sổ": "register", "Chuyển xử lý": "assign", "Bút phê": "direction", "Dự thảo": "draft",
              "Ký": "sign", "Phát hành": "issue", "Gửi": "send", "Hoàn thành": "done"}
YS_TABLES = {"vb_den": "vb_den", "vb_di": "vb_di"}

VANBAN = [
    {"id": 1, "loai": "DI", "so_dk": 45, "nam": 2025, "so_ky_hieu": "45/UBND-NC", "noi_ban_hanh": "",
     "ngay_ban_hanh": "2025-05-20", "ngay_den": None, "don_vi": "HG-UBND", "do_khan": "Khẩn",
     "trich_yeu": "V/v phối hợp chuẩn bị hợp nhất tỉnh Hà Giang và tỉnh Tuyên Quang", "nguoi_ky": "Nguyễn Văn Sơn",
     "chuc_vu": "Chủ tịch", "linh_vuc": "Tổ chức bộ máy", "noi_nhan": "UBND huyện Yên Sơn; Sở Nội vụ",
     "han_xu_ly": None, "trang_thai": "Đã gửi"},
    {"id": 2, "loai": "DEN", "so_dk": 87, "nam": 2025, "so_ky_hieu": "07/TB-BNV", "noi_ban_hanh": "Bộ Nội vụ",
     "ngay_ban_hanh": "2025-05-30", "ngay_den": "2025-06-02 08:40", "don_vi": "HG-SNV", "do_khan": "Thường",
     "trich_yeu": "Thông báo kết luận về sắp xếp tổ chức bộ máy cấp tỉnh", "nguoi_ky": "Trương Hải Long",
     "chuc_vu": "Thứ trưởng", "linh_vuc": "Tổ chức bộ máy", "noi_nhan": "", "han_xu_ly": "2025-06-10",
     "trang_thai": "Hoàn thành"},
    # the same notice registered a second time the next day (a duplicate registration in the old system)
    {"id": 3, "loai": "DEN", "so_dk": 88, "nam": 2025, "so_ky_hieu": "Số 7/TB-BNV", "noi_ban_hanh": "Bộ Nội vụ",
     "ngay_ban_hanh": "2025-05-30", "ngay_den": "2025-06-03 07:55", "don_vi": "HG-SNV", "do_khan": "Thường",
     "trich_yeu": "Thông báo kết luận về sắp xếp tổ chức bộ máy cấp tỉnh", "nguoi_ky": "Trương Hải Long",
     "chuc_vu": "Thứ trưởng", "linh_vuc": "", "noi_nhan": "", "han_xu_ly": None, "trang_thai": "Hoàn thành"},
    {"id": 4, "loai": "DI", "so_dk": 30, "nam": 2025, "so_ky_hieu": "30 /SNV-CCVC", "noi_ban_hanh": "",
     "ngay_ban_hanh": "2025-06-10", "ngay_den": None, "don_vi": "HG-SNV", "do_khan": "Thường",
     "trich_yeu": "V/v báo cáo số lượng cán bộ, công chức cấp xã", "nguoi_ky": "Vương Thị Mai",
     "chuc_vu": "Giám đốc", "linh_vuc": "Công chức, viên chức", "noi_nhan": "UBND các huyện, thành phố",
     "han_xu_ly": None, "trang_thai": "Đã gửi"},
    {"id": 5, "loai": "DEN", "so_dk": 89, "nam": 2025, "so_ky_hieu": "", "noi_ban_hanh": "", "ngay_ban_hanh": None,
     "ngay_den": "2025-06-04 09:00", "don_vi": "HG-SNV", "do_khan": "Thường", "trich_yeu": "", "nguoi_ky": "",
     "chuc_vu": "", "linh_vuc": "", "noi_nhan": "", "han_xu_ly": None, "trang_thai": ""},
]
VANBAN_XULY = [
    {"id": 1, "vanban_id": 1, "thoi_gian": "2025-05-19 15:20", "nguoi_xu_ly": "Trần Thị Hạnh", "ma_can_bo": "HG0012",
     "hanh_dong": "Soạn thảo", "y_kien": "Dự thảo công văn gửi các huyện"},
    {"id": 2, "vanban_id": 1, "thoi_gian": "2025-05-20 16:00", "nguoi_xu_ly": "Nguyễn Văn Sơn", "ma_can_bo": "HG0001",
     "hanh_dong": "Ký ban hành", "y_kien": ""},
    {"id": 3, "vanban_id": 1, "thoi_gian": "2025-05-21 08:30", "nguoi_xu_ly": "Trần Thị Hạnh", "ma_can_bo": "HG0012",
     "hanh_dong": "Phát hành", "y_kien": "Gửi UBND huyện Yên Sơn qua hệ thống"},
    {"id": 4, "vanban_id": 2, "thoi_gian": "2025-06-02 08:45", "nguoi_xu_ly": "Lò Văn Páo", "ma_can_bo": "HG0230",
     "hanh_dong": "Vào sổ", "y_kien": ""},
    {"id": 5, "vanban_id": 2, "thoi_gian": "2025-06-02 14:00", "nguoi_xu_ly": "Vương Thị Mai", "ma_can_bo": "HG0101",
     "hanh_dong": "Phân công", "y_kien": "Phòng Công chức, viên chức chủ trì tham mưu"},
    {"id": 6, "vanban_id": 2, "thoi_gian": "2025-06-05 10:00", "nguoi_xu_ly": "Phạm Đức Long", "ma_can_bo": "HG0155",
     "hanh_dong": "Hoàn thành", "y_kien": "Đã tham mưu công văn 30/SNV-CCVC"},
    {"id": 7, "vanban_id": 3, "thoi_gian": "2025-06-03 08:00", "nguoi_xu_ly": "Lò Văn Páo", "ma_can_bo": "HG0230",
     "hanh_dong": "Vào sổ", "y_kien": "Vào sổ lần hai"},
    {"id": 8, "vanban_id": 99, "thoi_gian": "2025-06-06 09:00", "nguoi_xu_ly": "Lò Văn Páo", "ma_can_bo": "HG0230",
     "hanh_dong": "Vào sổ", "y_kien": ""},
]
VANBAN_TEP = [
    {"id": 1, "vanban_id": 1, "ten_tep": "cv45-ubnd.pdf", "duong_dan": "2025/05/cv45.pdf"},
    {"id": 2, "vanban_id": 2, "ten_tep": "tb07-bnv.pdf", "duong_dan": "2025/06/tb07.pdf"},   # gone from the disk
    {"id": 3, "vanban_id": 4, "ten_tep": "cv30-snv.pdf", "duong_dan": "2025/06/cv30.pdf"},
]

VB_DEN = [
    {"id": 1, "so_den": 210, "nam": 2025, "so_kh": "Số 45 /UBND-NC", "noi_ban_hanh": "UBND tỉnh Hà Giang",
     "ngay_vb": "2025-05-20", "ngay_den": "2025-05-21 10:00",
     "trich_yeu": "V/v phối hợp chuẩn bị hợp nhất tỉnh Hà Giang và tỉnh Tuyên Quang", "nguoi_ky": "Nguyễn Văn Sơn",
     "tep_dinh_kem": "den/2025/cv45-hg.pdf", "han_xl": "2025-05-30"},
    {"id": 2, "so_den": 211, "nam": 2025, "so_kh": "15/QD-UBND", "noi_ban_hanh": "UBND tỉnh Tuyên Quang",
     "ngay_vb": "2025-05-25", "ngay_den": "2025-05-26 14:10",
     "trich_yeu": "Quyết định về việc giao chỉ tiêu biên chế công chức năm 2025", "nguoi_ky": "Nguyễn Văn Sơn",
     "tep_dinh_kem": "den/2025/qd15.pdf", "han_xl": ""},
]
VB_DI = [
    {"id": 1, "so_di": 125, "nam": 2025, "so_kh": "125/UBND-VP", "ngay_vb": "2025-06-12",
     "trich_yeu": "Báo cáo tình hình thực hiện sắp xếp đơn vị hành chính cấp xã trên địa bàn huyện",
     "nguoi_ky": "Hoàng Văn Thắng", "chuc_vu": "Chủ tịch", "noi_nhan": "UBND tỉnh Tuyên Quang",
     "tep_dinh_kem": "di/2025/bc125.pdf;di/2025/bc125-phuluc.pdf"},
    {"id": 2, "so_di": 126, "nam": 2025, "so_kh": "126 / UBND-VP", "ngay_vb": "2025-06-20",
     "trich_yeu": "V/v bàn giao hồ sơ, tài liệu khi kết thúc hoạt động cấp huyện", "nguoi_ky": "Hoàng Văn Thắng",
     "chuc_vu": "Chủ tịch", "noi_nhan": "Các cơ quan, đơn vị", "tep_dinh_kem": "di/2025/cv126.pdf"},
]
LICH_SU = [
    {"id": 1, "bang": "vb_den", "vb_id": 1, "thoi_gian": "2025-05-21 10:05", "can_bo": "Lê Thị Thu",
     "thao_tac": "Vào sổ", "noi_dung": ""},
    {"id": 2, "bang": "vb_den", "vb_id": 1, "thoi_gian": "2025-05-21 14:00", "can_bo": "Hoàng Văn Thắng",
     "thao_tac": "Bút phê", "noi_dung": "Giao Phòng Nội vụ chủ trì, báo cáo trước 30/5"},
    {"id": 3, "bang": "vb_den", "vb_id": 1, "thoi_gian": "2025-05-29 16:30", "can_bo": "Đặng Văn Bình",
     "thao_tac": "Hoàn thành", "noi_dung": "Đã báo cáo bằng văn bản 125/UBND-VP"},
    {"id": 4, "bang": "vb_di", "vb_id": 1, "thoi_gian": "2025-06-11 09:00", "can_bo": "Đặng Văn Bình",
     "thao_tac": "Dự thảo", "noi_dung": ""},
    {"id": 5, "bang": "vb_di", "vb_id": 1, "thoi_gian": "2025-06-12 08:00", "can_bo": "Hoàng Văn Thắng",
     "thao_tac": "Ký", "noi_dung": ""},
    {"id": 6, "bang": "vb_di", "vb_id": 1, "thoi_gian": "2025-06-12 10:00", "can_bo": "Lê Thị Thu",
     "thao_tac": "Phát hành", "noi_dung": ""},
    {"id": 7, "bang": "vb_di", "vb_id": 1, "thoi_gian": "2025-06-12 10:00", "can_bo": "Lê Thị Thu",
     "thao_tac": "Gửi", "noi_dung": "Gửi UBND tỉnh Tuyên Quang"},
]
YS_TCVN3 = ["so_kh", "noi_ban_hanh", "trich_yeu", "nguoi_ky", "chuc_vu", "noi_nhan"]


def pdf_bytes(text: str, *, password: str = "") -> bytes:
    """A small real PDF showing `text` (DejaVu, so Vietnamese survives text extraction)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=True)
    c.setFont("DejaVu", 12)
    c.drawString(72, 760, text)
    c.showPage()
    c.save()
    data = out.getvalue()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(password)
        locked = io.BytesIO()
        writer.write(locked)
        data = locked.getvalue()
    return data


CV45 = "Công văn 45/UBND-NC: phối hợp chuẩn bị hợp nhất tỉnh Hà Giang và tỉnh Tuyên Quang"


def write_files(hagiang_dir: Path, yenson_dir: Path) -> None:
    """The files the two systems point at. The same công văn 45 sits in both (stored once after the merge)."""
    files = {
        hagiang_dir / "2025/05/cv45.pdf": pdf_bytes(CV45),
        hagiang_dir / "2025/06/cv30.pdf": pdf_bytes("Công văn 30/SNV-CCVC: báo cáo số lượng cán bộ cấp xã"),
        yenson_dir / "den/2025/cv45-hg.pdf": pdf_bytes(CV45),
        yenson_dir / "di/2025/bc125.pdf": pdf_bytes("Báo cáo 125/UBND-VP: sắp xếp đơn vị hành chính cấp xã"),
        yenson_dir / "di/2025/bc125-phuluc.pdf": pdf_bytes("Phụ lục: danh sách xã sau sắp xếp"),
        yenson_dir / "di/2025/cv126.pdf": pdf_bytes("Công văn 126/UBND-VP", password="yenson2025"),  # noqa: S106 — a test file
    }   # den/2025/qd15.pdf and Hà Giang's 2025/06/tb07.pdf are missing on purpose
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _dt(value):
    if not value:
        return None
    return datetime.datetime.fromisoformat(value)  # noqa: DTZ007 — the old systems store Vietnam wall time


def _d(value):
    return datetime.date.fromisoformat(value) if value else None


def write_hagiang(url: str) -> None:
    import sqlalchemy as sa

    meta = sa.MetaData()
    text = sa.String(500)
    vanban = sa.Table("vanban", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("loai", sa.String(3)),
                      sa.Column("so_dk", sa.Integer), sa.Column("nam", sa.Integer),
                      *(sa.Column(c, text) for c in ("so_ky_hieu", "noi_ban_hanh", "don_vi", "do_khan", "trich_yeu",
                                                     "nguoi_ky", "chuc_vu", "linh_vuc", "noi_nhan", "trang_thai")),
                      sa.Column("ngay_ban_hanh", sa.Date), sa.Column("ngay_den", sa.DateTime),
                      sa.Column("han_xu_ly", sa.Date))
    xuly = sa.Table("vanban_xuly", meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("vanban_id", sa.Integer), sa.Column("thoi_gian", sa.DateTime),
                    *(sa.Column(c, text) for c in ("nguoi_xu_ly", "ma_can_bo", "hanh_dong", "y_kien")))
    tep = sa.Table("vanban_tep", meta, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("vanban_id", sa.Integer), sa.Column("ten_tep", text), sa.Column("duong_dan", text))
    engine = sa.create_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(vanban.insert(), [r | {"ngay_ban_hanh": _d(r["ngay_ban_hanh"]), "ngay_den": _dt(r["ngay_den"]),
                                            "han_xu_ly": _d(r["han_xu_ly"])} for r in VANBAN])
        conn.execute(xuly.insert(), [r | {"thoi_gian": _dt(r["thoi_gian"])} for r in VANBAN_XULY])
        conn.execute(tep.insert(), VANBAN_TEP)
    engine.dispose()


def write_yenson(url: str) -> None:
    """Yên Sơn's tables, their Vietnamese text in TCVN3 bytes held in latin1 columns, as the old system did."""
    import sqlalchemy as sa

    from hopnhat.consolidation.encodings import unicode_to_legacy

    def legacy(row):
        return {k: unicode_to_legacy(v, "tcvn3") if k in YS_TCVN3 + ["can_bo", "thao_tac", "noi_dung"] and v else v
                for k, v in row.items()}

    engine = sa.create_engine(url)
    mysql = engine.dialect.name in ("mysql", "mariadb")
    meta = sa.MetaData()
    # MariaDB: latin1 columns holding the TCVN3 bytes; elsewhere (the demo's SQLite) the same Latin-1 characters
    latin = sa.String(500, collation="latin1_swedish_ci") if mysql else sa.String(500)
    cols = {"so_kh": latin, "noi_ban_hanh": latin, "trich_yeu": latin, "nguoi_ky": latin, "chuc_vu": latin,
            "noi_nhan": latin, "tep_dinh_kem": sa.String(500), "han_xl": sa.String(20)}
    den = sa.Table("vb_den", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("so_den", sa.Integer),
                   sa.Column("nam", sa.Integer), sa.Column("ngay_vb", sa.Date), sa.Column("ngay_den", sa.DateTime),
                   *(sa.Column(c, cols[c]) for c in ("so_kh", "noi_ban_hanh", "trich_yeu", "nguoi_ky",
                                                     "tep_dinh_kem", "han_xl")),
                   mysql_charset="latin1")
    di = sa.Table("vb_di", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("so_di", sa.Integer),
                  sa.Column("nam", sa.Integer), sa.Column("ngay_vb", sa.Date),
                  *(sa.Column(c, cols[c]) for c in ("so_kh", "trich_yeu", "nguoi_ky", "chuc_vu", "noi_nhan",
                                                    "tep_dinh_kem")),
                  mysql_charset="latin1")
    lich = sa.Table("lich_su", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("bang", sa.String(10)),
                    sa.Column("vb_id", sa.Integer), sa.Column("thoi_gian", sa.DateTime),
                    *(sa.Column(c, latin) for c in ("can_bo", "thao_tac", "noi_dung")), mysql_charset="latin1")
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(den.insert(), [legacy(r) | {"ngay_vb": _d(r["ngay_vb"]), "ngay_den": _dt(r["ngay_den"])}
                                    for r in VB_DEN])
        conn.execute(di.insert(), [legacy(r) | {"ngay_vb": _d(r["ngay_vb"])} for r in VB_DI])
        conn.execute(lich.insert(), [legacy(r) | {"thoi_gian": _dt(r["thoi_gian"])} for r in LICH_SU])
    engine.dispose()


def mappings(hagiang_url: str, yenson_url: str, hagiang_dir: Path, yenson_dir: Path) -> list[dict]:
    """The mappings in the order they run: every system's documents, then files, then history."""
    hg_maps = {"donvi": HG_UNITS, "loai": HG_KIND, "khan": URGENCY}
    ys_source = {"kind": "sql", "url": yenson_url, "legacy_encoding": {"tcvn3": YS_TCVN3}}
    return [
        {"system": HAGIANG, "stream": "vanban", "importer": "documents.document",
         "source": {"kind": "sql", "url": hagiang_url, "table": "vanban", "key": "id"},
         "fields": {"kind": {"from": "loai", "map": "loai", "required": True},
                    "agency": {"from": "don_vi", "map": "donvi", "required": True},
                    "register_number": "so_dk", "register_year": "nam", "number": "so_ky_hieu",
                    "issuer": "noi_ban_hanh", "issued_date": {"from": "ngay_ban_hanh", "type": "date"},
                    "arrived_at": "ngay_den", "subject": "trich_yeu", "signer_name": "nguoi_ky",
                    "signer_position": "chuc_vu", "urgency": {"from": "do_khan", "map": "khan"},
                    "field": "linh_vuc", "recipients": "noi_nhan", "due_date": {"from": "han_xu_ly", "type": "date"},
                    "state": "trang_thai"},
         "value_maps": hg_maps},
        {"system": YENSON, "stream": "vb_den", "importer": "documents.document",
         "source": ys_source | {"table": "vb_den", "key": "id"},
         "options": {"kind": "incoming", "agency": "000.00.36.H60", "files_dir": str(yenson_dir)},
         "fields": {"register_number": "so_den", "register_year": "nam", "number": "so_kh", "issuer": "noi_ban_hanh",
                    "issued_date": {"from": "ngay_vb", "type": "date"}, "arrived_at": "ngay_den",
                    "subject": "trich_yeu", "signer_name": "nguoi_ky", "files": "tep_dinh_kem",
                    "due_date": {"from": "han_xl", "type": "date"}}},
        {"system": YENSON, "stream": "vb_di", "importer": "documents.document",
         "source": ys_source | {"table": "vb_di", "key": "id"},
         "options": {"kind": "outgoing", "agency": "000.00.36.H60", "files_dir": str(yenson_dir)},
         "fields": {"register_number": "so_di", "register_year": "nam", "number": "so_kh",
                    "issued_date": {"from": "ngay_vb", "type": "date"}, "subject": "trich_yeu",
                    "signer_name": "nguoi_ky", "signer_position": "chuc_vu", "recipients": "noi_nhan",
                    "files": "tep_dinh_kem"}},
        {"system": HAGIANG, "stream": "vanban_tep", "importer": "documents.attachment",
         "source": {"kind": "sql", "url": hagiang_url, "table": "vanban_tep", "key": "id"},
         "options": {"document_stream": "vanban", "files_dir": str(hagiang_dir)},
         "fields": {"document": {"from": "vanban_id", "required": True}, "name": "ten_tep",
                    "path": {"from": "duong_dan", "required": True}}},
        {"system": HAGIANG, "stream": "vanban_xuly", "importer": "documents.history",
         "source": {"kind": "sql", "url": hagiang_url, "table": "vanban_xuly", "key": "id"},
         "options": {"document_stream": "vanban", "people_system": HR_HAGIANG, "actions": HG_ACTIONS},
         "fields": {"document": {"from": "vanban_id", "required": True}, "at": "thoi_gian",
                    "actor_name": "nguoi_xu_ly", "actor_key": "ma_can_bo", "action": "hanh_dong", "note": "y_kien",
                    "seq": "id"}},
        {"system": YENSON, "stream": "lich_su", "importer": "documents.history",
         "source": {"kind": "sql", "url": yenson_url, "table": "lich_su", "key": "id",
                    "legacy_encoding": {"tcvn3": ["can_bo", "thao_tac", "noi_dung"]}},
         "options": {"actions": YS_ACTIONS},
         "fields": {"document_stream": "bang", "document": {"from": "vb_id", "required": True}, "at": "thoi_gian",
                    "actor_name": "can_bo", "action": "thao_tac", "note": "noi_dung", "seq": "id"}},
    ]
