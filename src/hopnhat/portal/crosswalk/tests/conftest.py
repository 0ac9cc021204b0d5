"""Two old portals and their units: the province portal of Hà Giang (02, merged with Tuyên Quang into the new
Tỉnh Tuyên Quang, 08) and the ward portal of Phường Trúc Bạch (00004, whole into Phường Ba Đình; Phường Đội
Cấn split between Ba Đình and Ngọc Hà). Codes are the GSO ones."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from hopnhat.org import testing
from hopnhat.org.models import Agency, Level, Vintage
from hopnhat.portal.crosswalk.api import ensure_site

ACTOR = "system:test-crosswalk"


def _unit(vintage, level, code, name, short, unit_type, parent=None):
    return testing.unit(vintage, level, code, name, short, unit_type, parent=parent)


def _edge(pred, succ, kind, default=False):
    testing.edge(pred, succ, kind, default)


@pytest.fixture
def units(db):
    OLD, NEW, P, D, W = Vintage.OLD, Vintage.NEW, Level.PROVINCE, Level.DISTRICT, Level.WARD
    ha_giang = _unit(OLD, P, "02", "Tỉnh Hà Giang", "Hà Giang", "Tỉnh")
    tuyen_quang_old = _unit(OLD, P, "08", "Tỉnh Tuyên Quang", "Tuyên Quang", "Tỉnh")
    tuyen_quang = _unit(NEW, P, "08", "Tỉnh Tuyên Quang", "Tuyên Quang", "Tỉnh")
    _edge(ha_giang, tuyen_quang, "whole", True)
    _edge(tuyen_quang_old, tuyen_quang, "whole", True)
    hn_old = _unit(OLD, P, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    hn = _unit(NEW, P, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    ba_dinh_district = _unit(OLD, D, "001", "Quận Ba Đình", "Ba Đình", "Quận", hn_old)
    truc_bach = _unit(OLD, W, "00004", "Phường Trúc Bạch", "Trúc Bạch", "Phường", ba_dinh_district)
    doi_can = _unit(OLD, W, "00022", "Phường Đội Cấn", "Đội Cấn", "Phường", ba_dinh_district)
    ba_dinh = _unit(NEW, W, "00004", "Phường Ba Đình", "Ba Đình", "Phường", hn)
    ngoc_ha = _unit(NEW, W, "00008", "Phường Ngọc Hà", "Ngọc Hà", "Phường", hn)
    _edge(truc_bach, ba_dinh, "whole", True)
    _edge(doi_can, ba_dinh, "partial")
    _edge(doi_can, ngoc_ha, "partial", True)
    return SimpleNamespace(ha_giang=ha_giang, tuyen_quang=tuyen_quang, truc_bach=truc_bach, doi_can=doi_can,
                           ba_dinh=ba_dinh, ngoc_ha=ngoc_ha)


@pytest.fixture
def agencies(units):
    tq = Agency.objects.create(code="000.00.00.H63", name="UBND tỉnh Tuyên Quang", unit=units.tuyen_quang)
    hn = Agency.objects.create(code="000.00.00.H26", name="UBND Thành phố Hà Nội")
    return SimpleNamespace(tuyen_quang=tq, hanoi=hn)


@pytest.fixture
def hagiang(units, agencies):
    """hagiang.gov.vn (and www.) — an old ASP.NET portal: case-insensitive, articles picked by ?id=."""
    site = ensure_site("hagiang.gov.vn", actor=ACTOR, unit=units.ha_giang, name="Cổng TTĐT tỉnh Hà Giang")
    site.agency = agencies.tuyen_quang
    site.significant_query = "id"
    site.save()
    site.hosts.create(host="www.hagiang.gov.vn")
    return site


@pytest.fixture
def trucbach(units, agencies):
    site = ensure_site("phuongtrucbach.hanoi.gov.vn", actor=ACTOR, unit=units.truc_bach)
    site.agency = agencies.hanoi
    site.save()
    return site


@pytest.fixture
def portal_home(db):
    """The new province portal's home page, served as https://tuyenquang.gov.vn (made here: a live-server test
    before this one may have flushed the tree Wagtail's migrations created)."""
    from wagtail.models import Page, Site

    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=Page(title="Cổng thông tin điện tử tỉnh Tuyên Quang", slug="tuyen-quang"))
    Site.objects.create(hostname="tuyenquang.gov.vn", port=443, root_page=home, site_name="Tuyên Quang")
    return home


@pytest.fixture
def new_api():
    """A real HTTP server standing in for the new dossier API: it echoes what it received."""

    class Echo(BaseHTTPRequestHandler):
        def _answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            data = json.dumps({"method": self.command, "path": self.path, "body": body,
                               "authorization": self.headers.get("Authorization")}).encode()
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
