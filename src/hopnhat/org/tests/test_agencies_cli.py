"""`hopnhat agencies list|show`: what an IT team needs to write an agency value map without SQL — codes, names,
status and successors, filtered by province, status and a search term with or without diacritics."""

import datetime
import json

import pytest
from django.core.management import call_command

from hopnhat.org import agencies, testing
from hopnhat.org.models import Level, Vintage

pytestmark = pytest.mark.django_db
ACTOR = "system:test-agencies-cli"


@pytest.fixture
def hanoi_agencies():
    hn = testing.unit(Vintage.NEW, Level.PROVINCE, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    ba_dinh = testing.unit(Vintage.NEW, Level.WARD, "00004", "Phường Ba Đình", parent=hn, province=hn)
    city = agencies.ensure_agency(code="000.00.00.H26", name="UBND Thành phố Hà Nội", unit=hn, actor=ACTOR)[0]
    made = {
        "city": city,
        "ba_dinh": agencies.ensure_agency(code="000.00.04.H26", name="UBND phường Ba Đình", parent=city,
                                          unit=ba_dinh, actor=ACTOR)[0],
        "ngoc_ha": agencies.ensure_agency(code="000.00.08.H26", name="UBND phường Ngọc Hà", parent=city,
                                          actor=ACTOR)[0],
        "doi_can": agencies.ensure_agency(code="000.22.01.H26", name="UBND phường Đội Cấn", parent=city,
                                          actor=ACTOR)[0],
        "ha_giang": agencies.ensure_agency(code="000.00.00.H22", name="UBND tỉnh Hà Giang", actor=ACTOR)[0],
    }
    agencies.close_agency(made["doi_can"], reason="split", on=datetime.date(2025, 7, 1), actor=ACTOR,
                          successors=[(made["ba_dinh"], "partial", False), (made["ngoc_ha"], "partial", True)])
    return made


def _json(capsys, *args):
    call_command("agencies", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_list_filters_by_province_status_and_a_folded_term(hanoi_agencies, capsys):
    every = _json(capsys, "list")
    assert every["total"] == 5
    hn = _json(capsys, "list", "--province", "H26")
    assert sorted(a["code"] for a in hn["agencies"]) == ["000.00.00.H26", "000.00.04.H26", "000.00.08.H26",
                                                         "000.22.01.H26"]
    # by the province's name or GSO code: the agencies whose unit lies in it
    assert [a["code"] for a in _json(capsys, "list", "--province", "ha noi")["agencies"]] == [
        "000.00.00.H26", "000.00.04.H26"]
    assert _json(capsys, "list", "--province", "01")["total"] == 2
    closed = _json(capsys, "list", "--status", "closed")["agencies"]
    assert [a["code"] for a in closed] == ["000.22.01.H26"]
    assert closed[0]["successors"] == [
        {"code": "000.00.08.H26", "name": "UBND phường Ngọc Hà", "status": "active", "kind": "partial",
         "is_default": True, "effective_date": "2025-07-01"},
        {"code": "000.00.04.H26", "name": "UBND phường Ba Đình", "status": "active", "kind": "partial",
         "is_default": False, "effective_date": "2025-07-01"}]
    # a term without diacritics, in any case
    assert [a["name"] for a in _json(capsys, "list", "DOI CAN")["agencies"]] == ["UBND phường Đội Cấn"]
    assert [a["code"] for a in _json(capsys, "list", "0.08.h2")["agencies"]] == ["000.00.08.H26"]
    limited = _json(capsys, "list", "--limit", "2")
    assert limited["count"] == 2 and limited["truncated"]


def test_show_names_successors_predecessors_and_who_acts_today(hanoi_agencies, capsys):
    doi_can = _json(capsys, "show", "000.22.01.h26")["agency"]
    assert doi_can["status"] == "closed" and doi_can["closed_reason"] == "split"
    assert [e["code"] for e in doi_can["successors"]] == ["000.00.08.H26", "000.00.04.H26"]
    assert [e["code"] for e in doi_can["current"]] == ["000.00.08.H26", "000.00.04.H26"]
    ngoc_ha = _json(capsys, "show", "UBND phường Ngọc Hà")["agency"]
    assert [e["code"] for e in ngoc_ha["predecessors"]] == ["000.22.01.H26"] and ngoc_ha["parent"] == "000.00.00.H26"
    call_command("agencies", "show", "000.22.01.H26")
    text = capsys.readouterr().out
    assert "kế thừa / successors" in text and "UBND phường Ngọc Hà [000.00.08.H26] (một phần, mặc định" in text


def test_unknown_and_malformed_agencies_are_errors_naming_them(hanoi_agencies, capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("agencies", "show", "000.99.99.H26", "--json")
    assert exit_.value.code == 2
    assert "000.99.99.H26" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(SystemExit):
        call_command("agencies", "show", "12.3", "--json")
    assert json.loads(capsys.readouterr().out)["ok"] is False
    with pytest.raises(SystemExit) as exit_:
        call_command("agencies", "list", "--province", "Atlantis", "--json")
    assert exit_.value.code == 2
    assert "Atlantis" in json.loads(capsys.readouterr().out)["error"]
