"""The bouncer answers exactly as the Django path does: the same table of old URLs, sent over real HTTP to a
started `hopnhat portal bouncer` process and to the live server (gunicorn's stand-in), must get the same status,
headers and body — and a staff edit reaches the bouncer's cached answers."""

import difflib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from urllib.parse import quote

import pytest
from django.db import connection

from hopnhat.portal.crosswalk.api import allow_host, configure_site, decide, ensure_site
from hopnhat.portal.crosswalk.models import AllowedHost, GlobalType

from .conftest import ACTOR

NEW = "https://tuyenquang.gov.vn"
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
COMPARED_HEADERS = ("location", "cache-control", "content-type", "x-content-type-options", "referrer-policy")


def _database_url() -> str:
    """The test database as a DATABASE_URL, for the bouncer process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send(port: int, host: str, method: str, path: str, headers: dict | None = None, body: bytes = b""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    if body or method in {"POST", "PUT"}:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    response = conn.getresponse()
    # A CSRF token (the language switch on pages) is masked afresh for every response, whichever server sends it.
    data = CSRF_TOKEN.sub(b'name="csrfmiddlewaretoken" value="-"', response.read())
    conn.close()
    return response.status, {h: response.getheader(h) for h in COMPARED_HEADERS}, data


@pytest.fixture
def bouncer(transactional_db):
    """`hopnhat portal bouncer` on a free port, against the test database; stopped (its whole group) after."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "HOPNHAT_TESTING": "1", "HOPNHAT_BOUNCER_CHECK": "0.2"}
    env.pop("HOPNHAT_TEST_DB_NAME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hopnhat", "portal", "bouncer", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        lines = []
        while True:  # the startup JSON, then the server
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the bouncer exited before printing its startup information")
            lines.append(line)
            if line.rstrip() == "}":
                break
        info = json.loads("".join(lines))
        deadline = time.monotonic() + 60
        while True:
            try:
                if _send(port, "127.0.0.1", "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port, info
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _live_port(live_server) -> int:
    return int(live_server.url.rsplit(":", 1)[1])


def _old_sites(units, hagiang, new_api):
    decide(hagiang, "/Default.aspx?id=1234", actor=ACTOR, type="redirect", target_url="/tin-tuc/cam-sanh-ham-yen")
    decide(hagiang, "/default.aspx", actor=ACTOR, type="redirect", target_url=NEW + "/trang-chu")
    decide(hagiang, "/tin-tuc/*", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc", append_path=True)
    decide(hagiang, "/tin-tuc/2024/*", actor=ACTOR, type="archive", archive_url=NEW + "/luu-tru/2024")
    decide(hagiang, "/tin-tuc/noi-bat", actor=ACTOR, type="redirect", target_url=NEW + "/noi-bat")
    decide(hagiang, "/thong-bao/mat-dien-2016.html", actor=ACTOR, type="archive",
           archive_url=NEW + "/luu-tru/ha-giang/mat-dien-2016")
    decide(hagiang, "/lich-tiep-dan", actor=ACTOR, type="unresolved")
    decide(hagiang, "/Giới-thiệu/Lịch-sử", actor=ACTOR, type="redirect", target_url=NEW + "/gioi-thieu")
    decide(hagiang, "/api/v1/*", actor=ACTOR, type="api", api_mode="308", target_url=NEW + "/api/v2",
           append_path=True)
    decide(hagiang, "/api/v0/*", actor=ACTOR, type="api", api_mode="307", target_url=NEW + "/api/v2")
    decide(hagiang, "/api/chuyen/*", actor=ACTOR, type="api", api_mode="proxy", target_url=new_api + "/api/v2",
           append_path=True)
    # Allowed when decided, no longer allowed when served: 501, as Bouncer does.
    allow_host("cu.example.org", actor=ACTOR)
    decide(hagiang, "/lien-ket", actor=ACTOR, type="redirect", target_url="https://cu.example.org/x")
    AllowedHost.objects.filter(pattern="cu.example.org").delete()

    trucbach = ensure_site("phuongtrucbach.hanoi.gov.vn", actor=ACTOR, unit=units.truc_bach)
    configure_site(trucbach, actor=ACTOR, case_insensitive=False, trailing_slash_significant=True, pass_query=True,
                   global_type=GlobalType.REDIRECT, global_url=NEW + "/ba-dinh", global_append_path=True)
    decide(trucbach, "/Trang/A", actor=ACTOR, type="redirect", target_url=NEW + "/a")
    doican = ensure_site("phuongdoican.hanoi.gov.vn", actor=ACTOR, unit=units.doi_can)
    configure_site(doican, actor=ACTOR, global_type=GlobalType.ARCHIVE)


def _nfd(text: str) -> str:
    return quote(unicodedata.normalize("NFD", text).encode())


TABLE = [
    ("hagiang.gov.vn", "GET", "/default.aspx?ID=1234&utm_source=zalo", {}, b""),
    ("WWW.HAGIANG.GOV.VN:80", "GET", "/Default.aspx?id=1234", {}, b""),
    ("hagiang.gov.vn", "GET", "/default.aspx?id=999", {}, b""),  # exact without its query
    ("hagiang.gov.vn", "GET", "/Tin-Tuc/2023/Lu-Quet-Hoang-Su-Phi/", {}, b""),  # prefix, rest in its own case
    ("hagiang.gov.vn", "GET", "/tin-tuc/2024/bao-lu", {}, b""),  # the longer prefix wins: 410
    ("hagiang.gov.vn", "GET", "/TIN-TUC/noi-bat/", {}, b""),  # exact beats prefix
    ("hagiang.gov.vn", "GET", "/tin%2Dtuc/x", {}, b""),
    ("hagiang.gov.vn", "GET", "/thong-bao/mat-dien-2016.html", {}, b""),
    ("hagiang.gov.vn", "GET", "/Thong-Bao/Mat-Dien-2016.html", {"Cookie": "django_language=en"}, b""),
    ("hagiang.gov.vn", "GET", "/lich-tiep-dan/", {}, b""),
    ("hagiang.gov.vn", "GET", quote("/giới-thiệu/lịch-sử".encode()), {}, b""),
    ("hagiang.gov.vn", "GET", _nfd("/GIỚI-THIỆU/LỊCH-SỬ"), {}, b""),
    ("hagiang.gov.vn", "GET", "/%E0%F2/tcvn3", {}, b""),  # not UTF-8
    ("hagiang.gov.vn", "GET", "/a%25b", {}, b""),
    ("hagiang.gov.vn", "GET", "/lien-ket", {}, b""),
    ("hagiang.gov.vn", "POST", "/api/v1/hoso?ma=000.00.00.H26", {"Content-Type": "application/json"}, b"{}"),
    ("hagiang.gov.vn", "PUT", "/api/v0/hoso", {}, "trạng thái".encode()),
    ("hagiang.gov.vn", "POST", "/api/chuyen/hoso", {"Authorization": "Bearer ma-thu"},
     json.dumps({"HoVaTen": "Nguyễn Thị Lan"}).encode()),
    ("hagiang.gov.vn", "GET", "/khong-co-trang-nay", {}, b""),
    ("hagiang.gov.vn", "HEAD", "/default.aspx?id=1234", {}, b""),
    ("hagiang.gov.vn", "HEAD", "/thong-bao/mat-dien-2016.html", {}, b""),
    ("hagiang.gov.vn", "GET", "/", {}, b""),
    ("phuongtrucbach.hanoi.gov.vn", "GET", "/Trang/A", {}, b""),
    ("phuongtrucbach.hanoi.gov.vn", "GET", "/trang/a/?utm_source=zalo&x=1", {}, b""),  # global, path + query
    ("phuongtrucbach.hanoi.gov.vn", "GET", "/", {}, b""),
    ("phuongdoican.hanoi.gov.vn", "GET", "/bat-ky/trang", {}, b""),  # global archive
]


def _until_registered(port: int, hosts: list[str]) -> None:
    """The bouncer started before these old sites were registered; it learns of them when it next reads the
    revision. Asked with a path no test compares, so nothing is cached on the way."""
    deadline = time.monotonic() + 10
    for host in hosts:
        while "không phải trang cũ đã đăng ký".encode() in _send(port, host, "GET", "/chua-co-trang-nay")[2]:
            assert time.monotonic() < deadline, f"the bouncer still does not know {host}"
            time.sleep(0.05)


def test_bouncer_and_django_give_identical_answers(bouncer, live_server, units, hagiang, new_api):
    _old_sites(units, hagiang, new_api)
    port, info = bouncer
    _until_registered(port, ["hagiang.gov.vn", "phuongtrucbach.hanoi.gov.vn", "phuongdoican.hanoi.gov.vn"])
    assert info["workers"] == 1 and info["database"] == connection.vendor and "revision" in info
    seen = set()
    for attempt in range(2):  # the second pass answers from the bouncer's cache where it may
        for host, method, path, headers, body in TABLE:
            django_answer = _send(_live_port(live_server), host, method, path, headers, body)
            bouncer_answer = _send(port, host, method, path, headers, body)
            where = f"{method} {host}{path} (pass {attempt + 1})"
            assert bouncer_answer[:2] == django_answer[:2], where
            diff = difflib.unified_diff(django_answer[2].decode(errors="replace").splitlines(),
                                        bouncer_answer[2].decode(errors="replace").splitlines(), lineterm="")
            assert bouncer_answer[2] == django_answer[2], where + "\n" + "\n".join(diff)
            seen.add(django_answer[0])
        time.sleep(0.5)
    assert seen == {301, 307, 308, 201, 404, 410, 501}


def _until(port: int, path: str, location: str) -> None:
    """Edits reach the bouncer when it next reads the revision (every 0.2 s here, 1 s by default)."""
    deadline = time.monotonic() + 10
    while _send(port, "hagiang.gov.vn", "GET", path)[1]["location"] != location:
        assert time.monotonic() < deadline, f"the bouncer still does not send {path} to {location}"
        time.sleep(0.1)


def test_a_staff_edit_reaches_the_cached_answer(bouncer, hagiang):
    port, _ = bouncer
    decide(hagiang, "/tin-tuc/a.html", actor=ACTOR, type="redirect", target_url=NEW + "/cu")
    _until(port, "/tin-tuc/a.html", NEW + "/cu")
    assert _send(port, "hagiang.gov.vn", "GET", "/khong-co")[0] == 404
    time.sleep(0.5)  # answered from the cache by now
    assert _send(port, "hagiang.gov.vn", "GET", "/tin-tuc/a.html")[1]["location"] == NEW + "/cu"
    decide(hagiang, "/tin-tuc/a.html", actor=ACTOR, type="redirect", target_url=NEW + "/moi")
    _until(port, "/tin-tuc/a.html", NEW + "/moi")
    configure_site(hagiang, actor=ACTOR, global_type=GlobalType.REDIRECT, global_url=NEW + "/ha-giang")
    _until(port, "/khong-co", NEW + "/ha-giang")
    # A new mapping for a path the global rule answered (and the cache kept) takes over.
    decide(hagiang, "/khong-co", actor=ACTOR, type="redirect", target_url=NEW + "/co")
    _until(port, "/khong-co", NEW + "/co")


def test_other_hosts_are_not_the_bouncers(bouncer):
    port, _ = bouncer
    status, headers, body = _send(port, "tuyenquang.gov.vn", "GET", "/tin-tuc")
    assert status == 404 and "không phải trang cũ" in body.decode()
    assert _send(port, "127.0.0.1", "GET", "/healthz")[0] == 200
