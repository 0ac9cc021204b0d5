"""What people and API clients get when they ask an old host: through the middleware, the preview route and a
real HTTP server (the live server, and a stand-in for the new API)."""

import json

import pytest
import requests

from hopnhat.portal.crosswalk.api import decide, ensure_site

from .conftest import ACTOR

NEW = "https://tuyenquang.gov.vn"


def test_middleware_redirects_on_the_old_host_and_leaves_other_hosts_alone(client, hagiang):
    decide(hagiang, "/Default.aspx?id=1234", actor=ACTOR, type="redirect", target_url="/tin-tuc/cam-sanh-ham-yen")
    r = client.get("/default.aspx", {"ID": "1234", "utm_source": "zalo"}, HTTP_HOST="WWW.HAGIANG.GOV.VN:80")
    assert r.status_code == 301
    assert r["Location"] == "http://127.0.0.1:8000/tin-tuc/cam-sanh-ham-yen"
    assert r["Cache-Control"] == "public, max-age=3600"
    assert client.get("/healthz").status_code == 200  # the portal's own host is not touched


def test_archive_page_shows_our_copy_and_the_successor_unit(client, hagiang):
    decide(hagiang, "/thong-bao/mat-dien-2016.html", actor=ACTOR, type="archive",
           archive_url=NEW + "/luu-tru/ha-giang/mat-dien-2016")
    r = client.get("/Thong-Bao/Mat-Dien-2016.html", HTTP_HOST="hagiang.gov.vn")
    assert r.status_code == 410
    html = r.content.decode()
    assert "Trang này không còn được đăng ở đây" in html
    assert 'href="https://tuyenquang.gov.vn/luu-tru/ha-giang/mat-dien-2016"' in html
    assert "Xem bản lưu trữ của trang này" in html
    assert "Nay thuộc" in html and "<strong>Tỉnh Tuyên Quang</strong>" in html
    assert html.index("Trang này") < html.index("</h1>")  # Vietnamese first
    client.cookies["django_language"] = "en"
    en = client.get("/thong-bao/mat-dien-2016.html", HTTP_HOST="hagiang.gov.vn")
    assert "Read the archived copy of this page" in en.content.decode()


def test_split_ward_shows_every_successor_and_unmapped_paths_are_404(client, units):
    site = ensure_site("phuongdoican.hanoi.gov.vn", actor=ACTOR, unit=units.doi_can)
    decide(site, "/lich-tiep-dan", actor=ACTOR, type="unresolved")
    html = client.get("/lich-tiep-dan/", HTTP_HOST="phuongdoican.hanoi.gov.vn").content.decode()
    assert "<strong>Phường Ngọc Hà</strong>" in html and "<strong>Phường Ba Đình</strong>" in html
    assert "một phần" in html
    r = client.get("/khong-co-trang-nay", HTTP_HOST="phuongdoican.hanoi.gov.vn")
    assert r.status_code == 404 and "Không tìm thấy trang" in r.content.decode()


def test_preview_route_answers_like_the_old_host_before_the_dns_switch(client, hagiang):
    decide(hagiang, "/tin-tuc/*", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc", append_path=True)
    r = client.get("/cong/xem-truoc/hagiang.gov.vn/Tin-Tuc/2024/lu-quet-hoang-su-phi")
    assert (r.status_code, r["Location"]) == (301, NEW + "/tin-tuc/2024/lu-quet-hoang-su-phi")
    assert client.get("/cong/xem-truoc/khong-co.gov.vn/x").status_code == 404


@pytest.mark.parametrize("mode", ["307", "308"])
def test_api_redirects_keep_the_method_and_body(transactional_db, live_server, units, new_api, mode):
    site = ensure_site("dvc.hagiang.gov.vn", actor=ACTOR, unit=units.ha_giang)
    decide(site, "/api/v1/*", actor=ACTOR, type="api", api_mode=mode, target_url=new_api + "/api/v2",
           append_path=True)
    bare = requests.post(live_server.url + "/api/v1/hoso?ma=000.00.00.H26", data="{}", allow_redirects=False,
                         headers={"Host": "dvc.hagiang.gov.vn"}, timeout=10)
    assert bare.status_code == int(mode)
    assert bare.headers["Location"] == new_api + "/api/v2/hoso?ma=000.00.00.H26"
    followed = requests.post(live_server.url + "/api/v1/hoso", json={"HoVaTen": "Nguyễn Thị Lan"},
                             headers={"Host": "dvc.hagiang.gov.vn"}, timeout=10)
    echoed = followed.json()
    assert (followed.status_code, echoed["method"], echoed["path"]) == (201, "POST", "/api/v2/hoso")
    assert json.loads(echoed["body"]) == {"HoVaTen": "Nguyễn Thị Lan"}


def test_api_proxy_forwards_method_body_and_authorisation(transactional_db, live_server, units, new_api):
    site = ensure_site("dvc.hagiang.gov.vn", actor=ACTOR, unit=units.ha_giang)
    decide(site, "/api/v1/*", actor=ACTOR, type="api", api_mode="proxy", target_url=new_api + "/api/v2",
           append_path=True)
    r = requests.put(live_server.url + "/api/v1/hoso/H02.01-250630-0001", data="trạng thái=đã xử lý".encode(),
                     headers={"Host": "dvc.hagiang.gov.vn", "Authorization": "Bearer ma-thu"}, timeout=10)
    echoed = r.json()
    assert r.status_code == 200
    assert echoed == {"method": "PUT", "path": "/api/v2/hoso/H02.01-250630-0001",
                      "body": "trạng thái=đã xử lý", "authorization": "Bearer ma-thu"}
