"""CSV round trip, access-log hits and the nginx map, through the `hopnhat portal` command."""

import gzip
import json
import shutil
import socket
import subprocess
import time

import pytest
import requests
from django.core.management import call_command

from hopnhat.core.models import AuditEntry
from hopnhat.portal.crosswalk import edge
from hopnhat.portal.crosswalk.api import decide
from hopnhat.portal.crosswalk.models import Hit, Mapping, MappingType
from hopnhat.portal.crosswalk.resolve import resolve_url

from .conftest import ACTOR

NEW = "https://tuyenquang.gov.vn"

CSV = """old_url,type,new_url,archive_url,api_mode,append_path,unit,notes
http://hagiang.gov.vn/Tin-Tuc/Le-Hoi-Hoa-Tam-Giac-Mach,,https://tuyenquang.gov.vn/tin-tuc/hoa-tam-giac-mach,,,,,
http://hagiang.gov.vn/van-ban/*,redirect,https://tuyenquang.gov.vn/van-ban,,,1,,chuyển cả mục văn bản
http://phuongtrucbach.hanoi.gov.vn/thong-bao/2019.html,archive,,https://hanoi.gov.vn/luu-tru/truc-bach/2019,,,00004,
http://hagiang.gov.vn/dang-nhap,redirect,https://lua-dao.example.com/dang-nhap,,,,,
http://dvc.hagiang.gov.vn/api/v1/*,api,https://dichvucong.tuyenquang.gov.vn/api/v2,,308,1,,
http://hagiang.gov.vn/lien-he,unresolved,,,,,VN/2025-06-30/province/02,
"""


def _run(*args) -> tuple[int, dict]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("portal", *args, "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def test_csv_import_keeps_good_rows_names_the_bad_line_and_round_trips(tmp_path, hagiang, trucbach, units):
    source = tmp_path / "anh-xa-ha-giang.csv"
    source.write_text(CSV, encoding="utf-8")
    code, report = _run("redirects", "import", str(source))
    assert code == 1 and not report["ok"]
    assert (report["rows"], report["created"]) == (6, 5)
    [error] = report["errors"]
    assert error["line"] == 5 and "lua-dao.example.com" in error["error"]
    assert resolve_url("http://hagiang.gov.vn/tin-tuc/le-hoi-hoa-tam-giac-mach").location.endswith(
        "/tin-tuc/hoa-tam-giac-mach")
    assert resolve_url("http://hagiang.gov.vn/van-ban/2024/qd-15").location == NEW + "/van-ban/2024/qd-15"
    assert Mapping.objects.get(path="/thong-bao/2019.html").unit == units.truc_bach

    exported = tmp_path / "xuat.csv"
    assert _run("redirects", "export", str(exported)) == (0, {"ok": True, "file": str(exported), "rows": 5})
    before = sorted(m.snapshot().items().__repr__() for m in Mapping.objects.all())
    Mapping.objects.all().delete()
    code, again = _run("redirects", "import", str(exported))
    assert (code, again["created"], again["errors"]) == (0, 5, [])
    assert sorted(m.snapshot().items().__repr__() for m in Mapping.objects.all()) == before
    assert _run("redirects", "import", str(exported))[1]["unchanged"] == 5


LOG = """\
113.160.12.7 - - [02/Jul/2025:08:15:01 +0700] "GET /Tin-Tuc/Lu-Quet-Hoang-Su-Phi.html HTTP/1.1" 404 512 "-" "Mozilla/5.0"
113.160.12.8 - - [02/Jul/2025:08:15:02 +0700] "GET /tin-tuc/lu-quet-hoang-su-phi.html?utm_source=zalo HTTP/1.1" 404 512 "-" "Zalo"
14.231.5.9 - - [02/Jul/2025:09:00:00 +0700] "GET /tin-tuc/lu-quet-hoang-su-phi.html HTTP/2.0" 404 512 "-" "Mozilla/5.0"
14.231.5.9 - - [02/Jul/2025:09:00:01 +0700] "GET /thu-tuc-hanh-chinh HTTP/1.1" 404 512 "-" "Mozilla/5.0"
14.231.5.9 - - [02/Jul/2025:09:00:02 +0700] "GET /css/site.css HTTP/1.1" 404 100 "-" "Mozilla/5.0"
14.231.5.9 - - [02/Jul/2025:09:00:03 +0700] "GET /van-ban/qd-15 HTTP/1.1" 404 100 "-" "Mozilla/5.0"
this line is not a log line
14.231.5.9 - - [03/Jul/2025:10:00:00 +0700] "POST /tin-tuc/binh-luan HTTP/1.1" 404 0 "-" "bot"
"""  # noqa: E501


def test_hits_import_ranks_unmapped_paths_and_is_idempotent(tmp_path, hagiang):
    decide(hagiang, "/van-ban/*", actor=ACTOR, type="redirect", target_url=NEW + "/van-ban")
    log = tmp_path / "access.log"
    log.write_text(LOG, encoding="utf-8")
    code, report = _run("hits", "import", str(log), "--site", "hagiang.gov.vn")
    assert code == 0
    assert (report["lines"], report["accepted"], report["bad_lines"], report["new_unresolved"]) == (8, 5, 1, 2)
    assert report["errors"] == ["access.log:7: không đọc được dòng nhật ký / unreadable log line"]
    assert report["ranking"] == [
        {"old_url": "http://hagiang.gov.vn/tin-tuc/lu-quet-hoang-su-phi.html", "hits": 3},
        {"old_url": "http://hagiang.gov.vn/thu-tuc-hanh-chinh", "hits": 1},
    ]
    robot = Mapping.objects.get(path="/thu-tuc-hanh-chinh")
    assert (robot.type, robot.updated_by, robot.versions.count()) == (MappingType.UNRESOLVED, "system:hits-import", 1)
    hits_before = list(Hit.objects.values_list("path", "count").order_by("path"))
    audit_before = AuditEntry.objects.count()
    code, again = _run("hits", "import", str(log), "--site", "hagiang.gov.vn")
    assert code == 0 and again["already_imported"]
    assert list(Hit.objects.values_list("path", "count").order_by("path")) == hits_before
    assert AuditEntry.objects.count() == audit_before
    # The next (rotated, gzipped) log adds to the counts and keeps the decision queue in order.
    with gzip.open(tmp_path / "access.log.2.gz", "wt", encoding="utf-8") as rotated:
        rotated.write((LOG.splitlines()[3] + "\n") * 3)
    _run("hits", "import", str(tmp_path / "access.log.2.gz"), "--site", "hagiang.gov.vn")
    assert Mapping.objects.get(path="/thu-tuc-hanh-chinh").hits == 4


def test_vhost_combined_logs_name_their_host(tmp_path, hagiang, trucbach):
    log = tmp_path / "vhosts.log"
    log.write_text(
        'phuongtrucbach.hanoi.gov.vn:80 1.53.2.3 - - [01/Jul/2025:07:00:00 +0700] "GET /gioi-thieu HTTP/1.1" 200 9 '
        '"-" "-"\n'
        'khong-quan-ly.gov.vn:443 1.53.2.3 - - [01/Jul/2025:07:00:00 +0700] "GET / HTTP/1.1" 200 9 "-" "-"\n',
        encoding="utf-8")
    code, report = _run("hits", "import", str(log))
    assert report["unknown_hosts"] == ["khong-quan-ly.gov.vn"] and report["new_unresolved"] == 1
    assert Mapping.objects.get(site=trucbach, path="/gioi-thieu").hits == 1


def test_resolve_command(hagiang):
    decide(hagiang, "/gioi-thieu", actor=ACTOR, type="redirect", target_url=NEW + "/gioi-thieu")
    assert _run("resolve", "http://www.hagiang.gov.vn/Gioi-Thieu/")[1] == {
        "type": "redirect", "status": 301, "target": NEW + "/gioi-thieu", "rule": "exact",
        "canonical_path": "/gioi-thieu", "mapping_id": Mapping.objects.get().pk, "archive_copy": "",
        "site": "hagiang.gov.vn", "live": True}
    code, err = _run("resolve", "http://khong-co.gov.vn/")
    assert code == 2 and "khong-co.gov.vn" in err["error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx_bin():
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    assert shutil.which(path), "nginx is installed by scripts/services.sh (ensure_nginx)"
    return path


def test_nginx_map_passes_nginx_t_and_nginx_serves_it(tmp_path, hagiang, nginx_bin):
    decide(hagiang, "/Tin-Tức/Lễ-Hội", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc/le-hoi")
    decide(hagiang, '/la"la\\x', actor=ACTOR, type="redirect", target_url=NEW + "/gia-$1")
    decide(hagiang, "/default.aspx?id=7", actor=ACTOR, type="redirect", target_url=NEW + "/tin/7")
    decide(hagiang, "/van-ban/*", actor=ACTOR, type="redirect", target_url=NEW + "/van-ban")
    decide(hagiang, "/cu", actor=ACTOR, type="archive", archive_url=NEW + "/luu-tru/cu")
    map_file = tmp_path / "hopnhat-redirects.map"
    code, report = _run("redirects", "nginx-map", str(map_file))
    assert (report["mappings"], report["entries"], report["left_to_app"]) == (2, 4, 3)
    port = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(edge.standalone_conf(map_file, f"127.0.0.1:{port}", tmp_path))
    checked = subprocess.run([nginx_bin, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([nginx_bin, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"])
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                requests.get(base, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        r = requests.get(base + "/Tin-T%E1%BB%A9c/L%E1%BB%85-H%E1%BB%99i/", headers={"Host": "www.hagiang.gov.vn"},
                         allow_redirects=False, timeout=5)
        assert (r.status_code, r.headers["Location"]) == (301, NEW + "/tin-tuc/le-hoi")
        r = requests.get(base + '/la"la\\x', headers={"Host": "hagiang.gov.vn"}, allow_redirects=False, timeout=5)
        assert r.headers["Location"] == NEW + "/gia-%241"
        assert requests.get(base + "/cu", headers={"Host": "hagiang.gov.vn"}, timeout=5).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_site_and_allow_commands_configure_an_old_site(units):
    code, site = _run("site", "ubnd.xadongvan.hagiang.gov.vn", "--unit", "02", "--alias", "xadongvan.hagiang.gov.vn",
                      "--significant-query", "id", "--no-case-insensitive", "--global-redirect",
                      "https://dongvan.tuyenquang.gov.vn", "--append-path")
    assert code == 0 and site["hosts"] == ["ubnd.xadongvan.hagiang.gov.vn", "xadongvan.hagiang.gov.vn"]
    assert set(site["changed"]) >= {"significant_query", "case_insensitive", "global_type", "global_url", "aliases"}
    out = _run("resolve", "http://xadongvan.hagiang.gov.vn/TinTuc/Chi-Tiet?id=9&utm_source=zalo")[1]
    assert (out["rule"], out["target"]) == ("global", "https://dongvan.tuyenquang.gov.vn/TinTuc/Chi-Tiet")
    assert _run("site", "ubnd.xadongvan.hagiang.gov.vn", "--significant-query", "id")[1]["changed"] == []
    code, err = _run("site", "ubnd.xadongvan.hagiang.gov.vn", "--global-redirect", "https://lua-dao.example.com/")
    assert code == 1 and "lua-dao.example.com" in err["error"]
    assert _run("allow", ".dongvan.vn", "--note", "cổng du lịch Đồng Văn")[1]["pattern"] == ".dongvan.vn"
    code, _ = _run("site", "ubnd.xadongvan.hagiang.gov.vn", "--global-redirect", "https://dulich.dongvan.vn")
    assert code == 0


def test_import_command_brings_an_old_portal_in_and_its_urls_answer(tmp_path, units):
    from hopnhat.portal.tests.conftest import NOTICE, wxr, wxr_item

    export = tmp_path / "hagiang-wordpress.xml"
    export.write_text(wxr(wxr_item(215, "Thông báo về việc sắp xếp đơn vị hành chính", f"<p>{NOTICE}</p>")),
                      encoding="utf-8")
    args = ("import", "wxr", str(export), "--site", "hagiang.gov.vn", "--unit", "02")
    code, dry = _run(*args, "--dry-run")
    assert code == 0 and dry["dry_run"] and not Mapping.objects.exists()
    code, report = _run(*args)
    assert code == 0 and report["balanced"] and report["totals"]["outcomes"]["loaded"] == 1
    out = _run("resolve", "https://HaGiang.gov.vn/2025/06/Bai-215")[1]
    assert (out["type"], out["status"]) == ("redirect", 301)
    assert out["target"].endswith("/") and "sap-xep-don-vi-hanh-chinh" in out["target"]
    code, err = _run("import", "wxr", str(export), "--site", "hagiang.gov.vn", "--unit", "99999")
    assert code == 2 and "99999" in err["error"]
