"""Issue 19: the demo's closing output lists every login — the organisation's users and each module's team — and
says how to serve on another port."""

from hopnhat.shell.management.commands.demo import Command, demo_logins


def test_every_demo_login_is_listed_once_with_the_port_hint():
    org = {"users": [{"username": "quantri", "password": "p", "shows": "platform admin"},
                     {"username": "congdan", "password": "p", "shows": "citizen"}]}
    modules = {"hopnhat.portal.demo": None, "hopnhat.dossiers.demo": {"team": [
        {"username": "motcua.minhxuan", "password": "p", "role": "dossier_receiver", "shows": "one-door desk"},
        {"username": "quantri", "password": "p", "role": "x"}]}}
    logins = demo_logins(org, modules)
    assert [u["username"] for u in logins] == ["quantri", "congdan", "motcua.minhxuan"]
    text = Command()._human(logins, {k: f"http://127.0.0.1:8000/{k}" for k in (
        "home", "sign_in", "staff", "unit_lookup", "django_admin", "wagtail_admin")})
    assert "motcua.minhxuan" in text and "one-door desk" in text
    assert "--addr 127.0.0.1:8100" in text


def test_a_team_row_without_shows_names_its_role_in_both_languages_not_its_code():
    modules = {"hopnhat.documents.demo": {"team": [
        {"username": "vanthu.tuyenquang", "password": "p", "role": "doc_clerk", "pages": "/van-ban/"},
        {"username": "chuyenvien.vp", "password": "p", "role": "official"}]}}
    shows = [u["shows"] for u in demo_logins({"users": []}, modules)]
    assert shows == ["Văn thư / Document clerk (/van-ban/)", "Cán bộ / Official"]
