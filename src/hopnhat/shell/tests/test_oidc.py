"""Sign in with VNeID against a real OpenID Connect provider (npm oidc-provider, started here on a loopback
port, emitting VNeID-style claims): the whole code + PKCE flow over HTTP, as a citizen's browser does it."""

import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import clear_url_caches

from hopnhat.core.models import AuditEntry
from hopnhat.core.pii import keyed_hash
from hopnhat.org.models import Role, RoleAssignment
from hopnhat.shell.oidc import USERNAME_PREFIX

ROOT = Path(__file__).resolve().parents[4]
PROVIDER_HOME = Path(os.environ.get("HOPNHAT_OIDC_PROVIDER_HOME", ROOT / "var" / "oidc-provider"))
CLIENT_ID, CLIENT_SECRET = "hopnhat-cong-tuyen-quang", "bi-mat-cua-ung-dung-thu"
CITIZEN_ID = "008188012345"
ACCOUNTS = {
    CITIZEN_ID: {"password": "mat-khau-vneid", "claims": {
        "SoDinhDanh": CITIZEN_ID, "HoVaTen": "Nguyễn Thị Lan", "LoaiTaiKhoan": "1",
        "NgayThangNamSinh": "19880512", "ThuDienTu": "lan.nguyen@example.vn"}},
    "0101234567": {"password": "mat-khau-dn", "claims": {
        "SoDinhDanh": "0101234567", "HoVaTen": "Công ty TNHH Chè Shan Tuyết Hà Giang", "LoaiTaiKhoan": "2"}},
}


def _portal(live_server) -> str:
    """The live server by address: cookie jars keep cookies for "localhost" under "localhost.local"."""
    return live_server.url.replace("//localhost:", "//127.0.0.1:")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def provider(live_server):
    node = shutil.which("node")
    assert node and (PROVIDER_HOME / "node_modules" / "oidc-provider").exists(), \
        "node and oidc-provider are installed by scripts/services.sh (ensure_oidc_provider)"
    port = _free_port()
    env = dict(os.environ, PORT=str(port), CLIENT_ID=CLIENT_ID, CLIENT_SECRET=CLIENT_SECRET,
               REDIRECT_URI=_portal(live_server) + "/dang-nhap/vneid/callback/",
               POST_LOGOUT_REDIRECT_URI=_portal(live_server) + "/", ACCOUNTS=json.dumps(ACCOUNTS),
               OIDC_PROVIDER_HOME=str(PROVIDER_HOME))
    proc = subprocess.Popen([node, str(Path(__file__).with_name("oidc_provider.mjs"))], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError(proc.stdout.read1().decode() if proc.poll() is not None else "provider silent")
        yield issuer
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _reload_urls():
    from hopnhat import urls
    from hopnhat.shell import oidc, oidc_urls

    oidc._client.cache_clear()
    importlib.reload(oidc_urls)
    importlib.reload(urls)
    clear_url_caches()


@pytest.fixture
def configured(settings, provider):
    """The portal configured for this provider, as HOPNHAT_OIDC_* would configure it."""
    before = settings.HOPNHAT_OIDC
    settings.HOPNHAT_OIDC = {"issuer": provider, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "scope": "openid profile", "acr_values": ""}
    _reload_urls()
    yield provider
    settings.HOPNHAT_OIDC = before
    _reload_urls()


def _sign_in(base: str, id_number: str, password: str, next_path: str = "") -> requests.Response:
    """What the citizen's browser does: the button, the provider's sign-in form, back to the portal."""
    browser = requests.Session()
    login_page = browser.get(base + "/dang-nhap/", timeout=10)
    assert "Đăng nhập bằng VNeID" in login_page.text
    start = base + "/dang-nhap/vneid/" + (f"?next={next_path}" if next_path else "")
    form_page = browser.get(start, timeout=10)
    authorize = form_page.history[0].headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    action = re.search(r'action="([^"]+)"', form_page.text).group(1)
    provider_base = "{0.scheme}://{0.netloc}".format(urlsplit(form_page.url))
    answer = browser.post(provider_base + action, data={"username": id_number, "password": password}, timeout=10)
    answer.browser = browser
    return answer


def test_citizen_signs_in_with_vneid_and_the_id_number_is_never_stored(transactional_db, live_server, configured):
    base = _portal(live_server)
    done = _sign_in(base, CITIZEN_ID, "mat-khau-vneid", next_path="/ho-so/")
    assert done.history[-1].status_code == 302, done.text
    assert done.url.startswith(base + "/ho-so/")
    user = get_user_model().objects.get(username=USERNAME_PREFIX + keyed_hash(CITIZEN_ID))
    assert (user.get_full_name(), user.email) == ("Nguyễn Thị Lan", "lan.nguyen@example.vn")
    assert not user.has_usable_password()
    assert RoleAssignment.objects.filter(user=user, role=Role.CITIZEN).exists()
    entry = AuditEntry.objects.get(action="core.oidc.sign_in")
    assert entry.data["created"] is True and entry.actor == user.username
    stored = json.dumps([list(get_user_model().objects.values()), list(AuditEntry.objects.values("data"))],
                        default=str)
    assert CITIZEN_ID not in stored
    # The session is signed in: the sign-in page now offers the way out.
    assert "Đăng xuất" in done.browser.get(base + "/", timeout=10).text
    # Signing in again finds the same user.
    _sign_in(base, CITIZEN_ID, "mat-khau-vneid")
    assert get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).count() == 1


def test_signing_out_ends_the_vneid_session_too(transactional_db, live_server, configured):
    base = _portal(live_server)
    browser = _sign_in(base, CITIZEN_ID, "mat-khau-vneid").browser
    csrf = browser.cookies["csrftoken"]
    out = browser.post(base + "/dang-xuat/", data={"csrfmiddlewaretoken": csrf}, headers={"Referer": base + "/"},
                       allow_redirects=False, timeout=10)
    assert out.status_code == 302
    end_session = urlsplit(out.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == configured
    assert parse_qs(end_session.query)["client_id"] == [CLIENT_ID]
    assert CITIZEN_ID not in out.headers["Location"]  # no id_token_hint: it would carry the ID number
    # Signed out here already; the provider asks to confirm, then sends the citizen back to the portal.
    assert "Đăng xuất" not in browser.get(base + "/", timeout=10).text
    confirm_page = browser.get(out.headers["Location"], timeout=10)
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', confirm_page.text))
    action = re.search(r'action="([^"]+)"', confirm_page.text).group(1)
    done = browser.post(urljoin(confirm_page.url, action), data={**form, "logout": "yes"}, timeout=10)
    assert done.url == base + "/"
    # The provider's session is gone: starting VNeID sign-in again shows its sign-in form, not an instant return.
    again = browser.get(base + "/dang-nhap/vneid/", timeout=10)
    assert "Đăng nhập tài khoản định danh điện tử" in again.text


def test_password_sign_out_stays_local(client, db):
    user = get_user_model().objects.create_user("can-bo-thu", password="mat-khau-dai-123")
    client.force_login(user)
    out = client.post("/dang-xuat/")
    assert out.status_code == 302 and out.headers["Location"] == "/"


def test_enterprise_accounts_are_not_citizens(transactional_db, live_server, configured):
    refused = _sign_in(_portal(live_server), "0101234567", "mat-khau-dn")
    assert refused.status_code == 400 and "không phải tài khoản công dân" in refused.text
    assert not get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).exists()


def test_a_callback_with_a_forged_state_is_refused(transactional_db, live_server, configured):
    browser = requests.Session()
    base = _portal(live_server)
    browser.get(base + "/dang-nhap/vneid/", allow_redirects=False, timeout=10)
    forged = browser.get(base + "/dang-nhap/vneid/callback/?code=abc&state=gia-mao", timeout=10)
    assert forged.status_code == 400 and "Không đăng nhập được bằng VNeID" in forged.text
    assert not get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).exists()


def test_no_button_and_no_route_until_configured(client, db):
    assert "VNeID" not in client.get("/dang-nhap/").content.decode()
    assert client.get("/dang-nhap/vneid/").status_code == 404
