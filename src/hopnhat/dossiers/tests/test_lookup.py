"""Look-up by any old or new code: the staff command with the whole timeline, the public page and JSON API with
a second factor, no personal data, the same answer for a wrong code and a wrong factor, and a rate limit."""

import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from hopnhat.dossiers import actions, handover
from hopnhat.dossiers.models import DossierAlias

from .conftest import at, close_old_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def district_dossier(hanoi, procedures):
    """A land dossier of the abolished Quận Ba Đình, known in an old system under a local code, handed over."""
    d = actions.receive("system:test", agency=hanoi.district, procedure=procedures.land,
                        applicant_name="Trịnh Văn Khải", id_number="001080099988", phone="0913 246 810",
                        address="Số 2 Hàng Bún, Phường Trúc Bạch, Quận Ba Đình, Hà Nội", at=at(2025, 6, 25, 10))
    DossierAlias.objects.create(code="QBD-2025-00871", dossier=d, source_system="motcua-badinh")
    actions.process("system:test", d, note="Thẩm định hồ sơ")
    close_old_agencies(hanoi)
    handover.run()
    return d


def test_command_answers_old_and_new_codes_with_the_timeline(district_dossier, capsys):
    call_command("dossiers", "lookup", "qbd-2025-00871", "--json")
    data = json.loads(capsys.readouterr().out)
    [found] = data["dossiers"]
    assert found["code"] == "000.00.01.H26-250625-0001" and found["other_codes"] == ["QBD-2025-00871"]
    assert found["agency"] == "UBND phường Ba Đình" and found["receiving_agency"] == "UBND quận Ba Đình"
    assert [s["action"] for s in found["timeline"]] == ["receive", "process", "handover"]
    assert found["timeline"][-1]["source_system"] == "hopnhat"
    # due 10 working days after 25/6/2025 whatever the hand-over; still open long after, so late
    assert found["due_date"] == "2025-07-09" and found["overdue"] and found["working_days_left"] < 0
    call_command("dossiers", "lookup", "000.00.01.H26-250625-0001")
    out = capsys.readouterr().out
    assert "Bàn giao cho cơ quan kế thừa" in out and "UBND phường Ba Đình" in out


def test_command_unknown_code_is_an_error(db, capsys):
    with pytest.raises(SystemExit):
        call_command("dossiers", "lookup", "000.00.01.H26-250101-9999", "--json")
    assert "Không có hồ sơ nào" in capsys.readouterr().out


def test_public_page_needs_the_phone_factor_and_shows_no_personal_data(client, district_dossier):
    page = client.post("/ho-so/tra-cuu/", {"code": "QBD-2025-00871", "phone": "6810"})
    html = page.content.decode()
    assert page.status_code == 200 and "000.00.01.H26-250625-0001" in html
    assert "UBND phường Ba Đình" in html and "Bàn giao" in html
    for secret in ("Trịnh Văn Khải", "001080099988", "0913", "Hàng Bún"):
        assert secret not in html


def test_api_answers_the_same_for_wrong_code_and_wrong_factor(client, district_dossier):
    def ask(code, phone):
        return client.post("/ho-so/api/tra-cuu/", json.dumps({"code": code, "phone": phone}),
                           content_type="application/json")

    good = ask("000.00.01.H26-250625-0001", "6810")
    assert good.status_code == 200 and good.json()["dossier"]["status"] == 4
    assert "applicant_name" not in good.json()["dossier"]
    wrong_factor, wrong_code = ask("000.00.01.H26-250625-0001", "1111"), ask("000.00.01.H26-250625-0002", "6810")
    assert wrong_factor.status_code == wrong_code.status_code == 404
    assert wrong_factor.content == wrong_code.content
    assert ask("", "").status_code == 404


@override_settings(HOPNHAT_LOOKUP_RATE=(3, 60))
def test_look_ups_are_rate_limited_per_client(client, district_dossier):
    for _ in range(3):
        assert client.post("/ho-so/tra-cuu/", {"code": "x", "phone": "0000"}).status_code == 200
    blocked = client.post("/ho-so/tra-cuu/", {"code": "000.00.01.H26-250625-0001", "phone": "6810"})
    assert blocked.status_code == 429 and "quá nhiều" in blocked.content.decode()
    other = client.post("/ho-so/api/tra-cuu/", "{}", content_type="application/json", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 404


def test_page_renders_the_form(client, db):
    page = client.get("/ho-so/tra-cuu/")
    assert page.status_code == 200 and "4 số cuối điện thoại" in page.content.decode()


@override_settings(HOPNHAT_LOOKUP_RATE=(1, 60), HOPNHAT_TRUSTED_PROXIES=1)
def test_behind_the_proxy_the_limit_counts_the_address_the_proxy_saw(client, db):
    def ask(forwarded):
        return client.post("/ho-so/api/tra-cuu/", "{}", content_type="application/json",
                           HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert ask("1.2.3.4, 203.0.113.7") == 404
    assert ask("9.9.9.9, 203.0.113.8") == 404            # another client
    assert ask("5.6.7.8, 203.0.113.7") == 429            # a forged first entry does not reset the count
