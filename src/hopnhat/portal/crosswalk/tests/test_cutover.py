"""An old portal imported through the engine follows its system's cutover (GOV.UK Transition's pre-transition /
live): on switch its old hosts are answered and it is in the nginx map; on route-back the old portal takes its
hosts back, so neither the middleware, the bouncer nor the map answers them (as for an unknown host), while the
staff preview still shows what they will answer."""

import io
import json
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hopnhat.consolidation import cutover
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.inventory.models import OldSystem, SystemType
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.models import AuditEntry
from hopnhat.portal.crosswalk import edge, revision
from hopnhat.portal.crosswalk.api import decide, ensure_site
from hopnhat.portal.crosswalk.models import OldSite
from hopnhat.portal.crosswalk.resolve import resolve
from hopnhat.portal.importing import run_import
from hopnhat.portal.tests.conftest import NOTICE, OTHER, wxr, wxr_item

from .conftest import ACTOR
from .test_bouncer import _send, bouncer  # noqa: F401  (the real bouncer process, as a fixture)

LEAD = "do.manh.hung"   # who runs the cutover at the Sở Khoa học và Công nghệ
NEW = "https://tuyenquang.gov.vn"
ARTICLE = "/2025/06/bai-215/"
SUBSITE = "sotttt.hagiang.gov.vn"
BEFORE_SWITCH = ("pre-sync", "freeze", "final-sync", "verify")


def _source(tmp_path, *, with_subsite: bool = False) -> dict:
    """Hà Giang's WordPress export: the reform notice, and later a Sở TT&TT article on a host of its own."""
    items = [wxr_item(215, "Thông báo về việc sắp xếp đơn vị hành chính", f"<p>{NOTICE}</p>")]
    if with_subsite:
        items.append(wxr_item(216, "Ra quân trồng cây đầu xuân", f"<p>{OTHER}</p>",
                              link=f"https://{SUBSITE}/tin-tuc/trong-cay-dau-xuan"))
    path = tmp_path / "hagiang-wxr.xml"
    path.write_text(wxr(*items), encoding="utf-8")
    return {"path": str(path)}


def _walk(system: str, *steps: str) -> dict:
    result = {}
    for name in steps:
        result = cutover.step(system, name, LEAD)
    return result


def _map_text() -> tuple[str, dict]:
    out = io.StringIO()
    report = edge.write_nginx_map(out)
    return out.getvalue(), report


@pytest.mark.django_db
def test_old_portal_goes_live_on_switch_and_is_taken_back_on_route_back(tmp_path, units, client):
    report = run_import("wxr", _source(tmp_path), site="hagiang.gov.vn", unit="02", actor=ACTOR)
    system = report["system"]
    site = OldSite.objects.get(host="hagiang.gov.vn")
    assert (site.system, site.live) == (system, True) == ("portal-hagianggovvn", True)
    assert cutover.system_type(system) == "portal"
    by_hand = ensure_site("phuongtrucbach.hanoi.gov.vn", actor=ACTOR)   # no system: untouched by any cutover
    decide(by_hand, "/gioi-thieu", actor=ACTOR, type="redirect", target_url=NEW + "/ba-dinh")

    result = _walk(system, *BEFORE_SWITCH, "switch")
    assert result["hook_results"] == [{"crosswalk": {"live": True, "sites": ["hagiang.gov.vn"], "changed": []}}]
    answer = client.get(ARTICLE, HTTP_HOST="hagiang.gov.vn")
    assert answer.status_code == 301 and "/tin-tuc/" in answer["Location"]
    text, _ = _map_text()
    assert '"hagiang.gov.vn/2025/06/bai-215"' in text

    _walk(system, "monitor")
    number = revision.current()
    result = _walk(system, "route-back")
    said = {"crosswalk": {"live": False, "sites": ["hagiang.gov.vn"], "changed": ["hagiang.gov.vn"]}}
    assert result["hook_results"] == [said]
    entry = AuditEntry.objects.get(action="consolidation.cutover.route-back")
    assert entry.actor == LEAD and entry.data["hook_results"] == [said]
    assert revision.current() == number + 1    # the bouncers drop their cached answers
    assert OldSite.objects.get(host="hagiang.gov.vn").live is False
    assert OldSite.objects.get(host="phuongtrucbach.hanoi.gov.vn").live is True

    # The old host is not ours any more: the middleware passes it on exactly as an unknown host.
    assert resolve("hagiang.gov.vn", ARTICLE) is None
    unknown = client.get(ARTICLE, HTTP_HOST="khong-quan-ly.gov.vn")
    routed_back = client.get(ARTICLE, HTTP_HOST="hagiang.gov.vn")
    assert routed_back.status_code == unknown.status_code != 301 and "Location" not in routed_back
    assert client.get("/gioi-thieu", HTTP_HOST="phuongtrucbach.hanoi.gov.vn").status_code == 301
    text, map_report = _map_text()
    assert "hagiang.gov.vn/" not in text and '"phuongtrucbach.hanoi.gov.vn/gioi-thieu"' in text
    assert map_report["not_live"] == ["hagiang.gov.vn"] and map_report["left_to_app"] == 0
    # Staff still see what it will answer: the preview and `hopnhat portal resolve`.
    preview = client.get(f"/cong/xem-truoc/hagiang.gov.vn{ARTICLE}")
    # …on the address the person previewing reached us by (the test client's), the same path.
    assert preview.status_code == 301 and preview["Location"] == answer["Location"].replace(
        settings.WAGTAILADMIN_BASE_URL.rstrip("/"), "http://testserver")
    out = StringIO()
    call_command("portal", "resolve", f"http://hagiang.gov.vn{ARTICLE}", "--json", stdout=out)
    assert json.loads(out.getvalue())["live"] is False

    # A site first met while the old portal is back in charge waits for the switch with the others.
    _source(tmp_path, with_subsite=True)
    _walk(system, "pre-sync")
    subsite = OldSite.objects.get(host=SUBSITE)
    assert (subsite.system, subsite.live) == (system, False)
    assert resolve(SUBSITE, "/tin-tuc/trong-cay-dau-xuan") is None

    result = _walk(system, "freeze", "final-sync", "verify", "switch")
    hosts = sorted(["hagiang.gov.vn", SUBSITE])
    assert result["hook_results"] == [{"crosswalk": {"live": True, "sites": hosts, "changed": hosts}}]
    assert client.get(ARTICLE, HTTP_HOST="hagiang.gov.vn").status_code == 301
    assert client.get("/tin-tuc/trong-cay-dau-xuan", HTTP_HOST=SUBSITE).status_code == 301
    text, map_report = _map_text()
    assert '"hagiang.gov.vn/2025/06/bai-215"' in text and f'"{SUBSITE}/tin-tuc/trong-cay-dau-xuan"' in text
    assert map_report["not_live"] == []


@pytest.mark.django_db
def test_serving_reads_live_with_the_hosts_not_per_request(tmp_path, units, client):
    report = run_import("wxr", _source(tmp_path), site="hagiang.gov.vn", actor=ACTOR)
    _walk(report["system"], *BEFORE_SWITCH, "switch", "monitor", "route-back")
    resolve("hagiang.gov.vn", ARTICLE)   # the host directory is read once (TTL / revision), not per request
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert client.get(ARTICLE, HTTP_HOST="hagiang.gov.vn").status_code != 301
            assert resolve("hagiang.gov.vn", ARTICLE) is None
    tables = ("portal_crosswalk_oldsite", "portal_crosswalk_oldhost", "consolidation_cutover",
              "portal_crosswalk_mapping")
    assert not [q["sql"] for q in captured.captured_queries if any(f'"{t}"' in q["sql"] for t in tables)]


@pytest.mark.django_db
def test_a_site_tied_by_hand_follows_its_inventoried_system(tmp_path, units, agencies, client):
    """A mapping written by hand need not say `system_type`: the inventory knows the system is a portal."""
    system, host = "portal-hoangsuphi", "hoangsuphi.hagiang.gov.vn"
    OldSystem.objects.create(code=system, name="Cổng TTĐT huyện Hoàng Su Phì", system_type=SystemType.PORTAL,
                             agency=agencies.tuyen_quang, new_unit=units.tuyen_quang)
    out = StringIO()
    call_command("portal", "site", host, "--system", system, "--json", stdout=out)
    assert json.loads(out.getvalue())["system"] == system
    path = tmp_path / "hoangsuphi.xml"
    path.write_text(wxr(wxr_item(31, "Lễ hội Mùa vàng Hoàng Su Phì", f"<p>{OTHER}</p>",
                                 link=f"https://{host}/tin-tuc/le-hoi-mua-vang")), encoding="utf-8")
    run = run_mapping(Mapping.from_dict({"system": system, "stream": "bai-viet", "importer": "portal.article",
                                         "source": {"kind": "wxr", "path": str(path), "site": host}}), actor=ACTOR)
    assert run.balanced and cutover.system_type(system) == "portal"

    _walk(system, *BEFORE_SWITCH, "switch", "route-back")
    assert OldSite.objects.get(host=host).live is False
    assert client.get("/tin-tuc/le-hoi-mua-vang", HTTP_HOST=host).status_code != 301
    _walk(system, *BEFORE_SWITCH, "switch")
    assert client.get("/tin-tuc/le-hoi-mua-vang", HTTP_HOST=host).status_code == 301


def _until(port: int, host: str, path: str, status: int) -> tuple:
    """The bouncer learns of a change when it next reads the revision (every 0.2 s in these tests)."""
    deadline = time.monotonic() + 15
    while (answer := _send(port, host, "GET", path))[0] != status:
        assert time.monotonic() < deadline, f"the bouncer still answers {answer[0]} for {host}{path}"
        time.sleep(0.1)
    return answer


def test_the_bouncer_follows_the_cutover(bouncer, tmp_path, units):  # noqa: F811
    port, _info = bouncer
    report = run_import("wxr", _source(tmp_path), site="hagiang.gov.vn", unit="02", actor=ACTOR)
    system = report["system"]
    _walk(system, *BEFORE_SWITCH, "switch")
    status, headers, _ = _until(port, "hagiang.gov.vn", ARTICLE, 301)
    assert "/tin-tuc/" in headers["location"]
    _until(port, "hagiang.gov.vn", ARTICLE, 301)   # asked twice: now answered from the bouncer's cache
    _walk(system, "route-back")
    status, headers, body = _until(port, "hagiang.gov.vn", ARTICLE, 404)
    assert "không phải trang cũ đã đăng ký" in body.decode() and headers["location"] is None
    _walk(system, *BEFORE_SWITCH, "switch")
    _until(port, "hagiang.gov.vn", ARTICLE, 301)
