"""Each source kind reads real files and servers: CSV in every encoding old Vietnamese systems used, Excel
(.xlsx and .xls), a paginated JSON API served by a local HTTP server, and SQL on MariaDB and PostgreSQL."""

import datetime
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from hopnhat.consolidation import encodings
from hopnhat.consolidation.api import source_kind

from .legacy_hr import to_tcvn3, to_vni

HEADER = "ma_can_bo,ho_ten,don_vi\n"
ROWS = [("HG01", "Nguyễn Thị Hoà", "Phường Trúc Bạch"), ("HG02", "Đỗ Quang Dũng", "Xã Đội Cấn"),
        ("TQ07", "Lương Văn Ước", "Phường Minh Xuân")]


def _csv_text():
    return HEADER + "".join(",".join(r) + "\n" for r in ROWS)


def test_legacy_tables_convert_known_government_phrases():
    # The fixed phrases every old official document carries, as the legacy fonts stored them.
    assert encodings.legacy_to_unicode("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3") == \
        "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert encodings.legacy_to_unicode("§éc lËp - Tù do - H¹nh phóc", "tcvn3") == "Độc lập - Tự do - Hạnh phúc"
    assert encodings.legacy_to_unicode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == \
        "Cộng hòa xã hội chủ nghĩa Việt Nam"
    with pytest.raises(ValueError, match="bảng mã"):
        encodings.canonical("klingon")


@pytest.mark.parametrize("encoding, raw", [
    ("utf-8", lambda t: t.encode("utf-8")),
    ("utf-8-sig", lambda t: t.encode("utf-8-sig")),
    ("utf-16", lambda t: t.encode("utf-16")),
    ("cp1258", lambda t: _cp1258(t)),
    ("tcvn3", lambda t: to_tcvn3(t).encode("latin-1")),
    ("vni", lambda t: to_vni(t).encode("latin-1")),
])
def test_csv_in_every_old_encoding_reads_as_unicode_nfc(tmp_path, encoding, raw):
    path = tmp_path / f"can_bo_{encoding}.csv"
    path.write_bytes(raw(_csv_text()))
    source = source_kind("csv")({"path": path.name, "encoding": encoding, "key": "ma_can_bo"}, base_dir=tmp_path)
    records = list(source.records())
    assert [(r.key, r.data["ho_ten"], r.data["don_vi"]) for r in records] == ROWS
    assert source.estimate() == 3


def _cp1258(text: str) -> bytes:
    """Windows-1258 stores a toned vowel as base letter + combining tone mark; encode the decomposed form,
    composing the vowel shapes (ơ, ư, â…) that cp1258 has as single bytes."""
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFD", text):
        out.append(ch)
    decomposed = unicodedata.normalize("NFC", "".join(out))
    result = b""
    for ch in decomposed:
        try:
            result += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            shape = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0302\u0306\u031b"))
            tone = "".join(m for m in marks if m not in "\u0302\u0306\u031b")
            result += shape.encode("cp1258") + tone.encode("cp1258")
    return result


def test_csv_without_key_names_lines_and_flags_ragged_lines(tmp_path):
    path = tmp_path / "danh_sach.csv"
    path.write_text("ho_ten,ngay_sinh\n\"Trần Văn\nNam\",1980-01-01\nHà Thị Thu\nLý Văn Lâm,1990-02-02\n",
                    encoding="utf-8")
    records = list(source_kind("csv")({"path": str(path)}).records())
    assert [r.key for r in records] == ["danh_sach.csv line 2", "danh_sach.csv line 4", "danh_sach.csv line 5"]
    assert "_problem" in records[1].data and "_problem" not in records[2].data


def test_excel_xlsx_and_xls(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cán bộ"
    sheet.append(["Mã", "Họ và tên", "Ngày sinh"])
    sheet.append(["TQ-001", "Ma Thị Hiền", datetime.date(1987, 6, 20)])
    sheet.append([None, None, None])
    sheet.append(["TQ-002", "Nông Văn Khải", datetime.date(1979, 2, 28)])
    book.save(tmp_path / "can_bo.xlsx")
    records = list(source_kind("excel")({"path": "can_bo.xlsx", "key": "Mã"}, base_dir=tmp_path).records())
    assert [(r.key, r.data["Họ và tên"], r.data["Ngày sinh"]) for r in records] == [
        ("TQ-001", "Ma Thị Hiền", "1987-06-20T00:00:00"), ("TQ-002", "Nông Văn Khải", "1979-02-28T00:00:00")]

    xls = tmp_path / "can_bo.xls"
    xls.write_bytes(_xls_bytes())
    records = list(source_kind("excel")({"path": str(xls)}).records())
    assert [r.key for r in records] == ["can_bo.xls [Sheet1] row 2"]
    assert records[0].data["Họ và tên"] == "Ma Thị Hiền" and records[0].data["Ngày sinh"].startswith("1987-06-20")


def _xls_bytes() -> bytes:
    """An Excel 97–2003 workbook, the format old HR systems exported."""
    import io

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write(0, 0, "Họ và tên")
    sheet.write(0, 1, "Ngày sinh")
    sheet.write(1, 0, "Ma Thị Hiền")
    sheet.write(1, 1, datetime.date(1987, 6, 20), xlwt.easyxf(num_format_str="DD/MM/YYYY"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Api(BaseHTTPRequestHandler):
    """An old unit's staff API: 7 people, served with page, offset or next-link pagination."""

    people = [{"id": i, "ho_ten": name, "cap_nhat": f"2025-05-0{i}"} for i, name in enumerate(
        ["Nguyễn Văn Hùng", "Lê Thị Mai", "Đặng Quốc Bảo", "Hoàng Văn Tùng", "Vũ Thị Lan", "Triệu Văn Sơn",
         "Lò Thị Dung"], start=1)]

    def do_GET(self):  # noqa: N802 — the http.server API
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        people = [p for p in self.people if p["cap_nhat"] >= q.get("since", "")]
        headers = {}
        if url.path == "/page":
            size, page = int(q.get("per_page", 3)), int(q.get("page", 1))
            body = {"data": {"items": people[(page - 1) * size: page * size]}}
        elif url.path == "/offset":
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", 3))
            body = {"results": people[offset: offset + limit]}
        else:
            start = int(q.get("cursor", 0))
            body = {"items": people[start: start + 3]}
            if start + 3 < len(people):
                headers["Link"] = f'</next?cursor={start + 3}>; rel="next"'
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def staff_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path, config", [
    ("/page", {"items": "data.items", "pagination": {"type": "page", "size": 3}}),
    ("/offset", {"items": "results", "pagination": {"type": "offset", "limit": 3}}),
    ("/next", {"items": "items", "pagination": {"type": "next"}}),
])
def test_json_api_paginates_by_page_offset_and_next_link(staff_api, path, config):
    source = source_kind("json_api")({"url": staff_api + path, "key": "id", "cursor": "cap_nhat", **config})
    records = list(source.records())
    assert [r.data["ho_ten"] for r in records] == [p["ho_ten"] for p in _Api.people]
    assert [r.key for r in records] == [str(i) for i in range(1, 8)]
    assert records[-1].cursor == "2025-05-07"


def test_json_api_passes_the_cursor_as_inclusive_lower_bound(staff_api):
    source = source_kind("json_api")({"url": staff_api + "/offset", "key": "id", "items": "results",
                                      "since_param": "since", "pagination": {"type": "offset", "limit": 2}})
    assert [r.key for r in source.records(since="2025-05-06")] == ["6", "7"]


def test_sql_source_streams_mariadb_latin1_tcvn3(legacy_hr):
    source = source_kind("sql")({"url": legacy_hr.url, "table": "nhan_su", "key": "id", "cursor": "ngay_cap_nhat",
                                 "legacy_encoding": {"tcvn3": ["ho_ten", "chuc_vu"]}})
    records = list(source.records())
    assert source.estimate() == len(records) == 10
    assert records[0].data["ho_ten"] == "Nguyễn Văn Hùng" and records[0].data["chuc_vu"] == "Giám đốc"
    assert records[4].key == "5" and records[4].data["ho_ten"] is None
    assert [r.key for r in source.records(since="2025-05-04 11:00:00")] == ["9", "10"]


def test_sql_source_keeps_a_slow_streamed_read_open_on_mariadb(legacy_hr):
    # MariaDB's 60 s net_write_timeout cut a 50,000-document import off mid-read while the importer worked on a
    # batch ("Lost connection to MySQL server during query"): every connection of the source waits longer.
    import sqlalchemy

    source = source_kind("sql")({"url": legacy_hr.url, "table": "nhan_su", "key": "id"})
    with source._engine().connect() as conn:
        write, read = conn.execute(sqlalchemy.text("SELECT @@session.net_write_timeout, "
                                                   "@@session.net_read_timeout")).one()
    assert write >= 3600 and read >= 3600


def test_sql_source_reads_postgresql():
    name = f"hn_engine_src_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE can_bo (ma text PRIMARY KEY, ho_ten text, ngay_sinh date, luong numeric)")
            conn.execute("INSERT INTO can_bo VALUES ('TQ-1', 'Ma Thị Hiền', '1987-06-20', 8500000.50), "
                         "('TQ-2', 'Nông Văn Khải', NULL, NULL)")
        source = source_kind("sql")({"url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                                     "query": "SELECT * FROM can_bo", "key": "ma"})
        records = list(source.records())
        assert [(r.key, r.data["ho_ten"], r.data["ngay_sinh"], r.data["luong"]) for r in records] == [
            ("TQ-1", "Ma Thị Hiền", "1987-06-20", "8500000.50"), ("TQ-2", "Nông Văn Khải", None, None)]
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
