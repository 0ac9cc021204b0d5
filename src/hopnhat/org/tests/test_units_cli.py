"""hopnhat units load | lineage | show, with --json, through call_command."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def run(*args) -> str:
    out = StringIO()
    call_command("units", *args, stdout=out)
    return out.getvalue()


def test_lineage_json_for_a_split_ward(national_units):
    data = json.loads(run("lineage", "Phường Đội Cấn, Quận Ba Đình, Hà Nội", "--json"))
    assert data["ok"] is True and data["count"] == 1 and data["ambiguous"] is False
    (result,) = data["results"]
    assert result["unit"]["code"] == "00022" and result["why"] == "path"
    assert [(e["unit"]["name"], e["kind"], e["is_default"]) for e in result["lineage"]["successors"]] == [
        ("Phường Ngọc Hà", "partial", True), ("Phường Ba Đình", "partial", False)]
    assert result["explanation"][0].startswith("Một phần địa giới của Phường Đội Cấn nay thuộc Phường Ba Đình")


def test_lineage_of_a_province_without_diacritics(national_units):
    data = json.loads(run("lineage", "Tinh Ha Giang", "--at", "2025-08-01", "--json"))
    (result,) = data["results"]
    assert data["at"] == "2025-08-01"
    current = [(e["unit"]["name"], e["unit"]["code"]) for e in result["lineage"]["current"]]
    assert current == [("Tỉnh Tuyên Quang", "08")]
    human = run("lineage", "Tỉnh Hà Giang")
    assert "Toàn bộ Tỉnh Hà Giang nay thuộc Tỉnh Tuyên Quang." in human


def test_lineage_lists_ambiguous_names(national_units):
    human = run("lineage", "doi can")
    assert "“doi can” khớp 3 đơn vị" in human
    assert "Xã Đội Cấn, Huyện Tràng Định, Tỉnh Lạng Sơn" in human


def test_lineage_with_no_match_fails_clearly(national_units, capsys):
    with pytest.raises(CommandError, match="Không tìm thấy đơn vị nào khớp “zzz”"):
        run("lineage", "zzz")
    with pytest.raises(SystemExit) as exit_:
        run("lineage", "zzz", "--json")
    assert exit_.value.code == 2   # a mistake in what was given, as argparse's own
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("lineage", "Hà Giang", "--at", "1/7/2025")


def test_show_a_code_in_each_vintage(national_units):
    both = json.loads(run("show", "00004", "--json"))
    assert [(u["unit"]["vintage"], u["unit"]["name"]) for u in both["units"]] == [
        ("2025-06-30", "Phường Trúc Bạch"), ("2025-07-01", "Phường Ba Đình")]
    old = json.loads(run("show", "00004", "--vintage", "old", "--json"))
    (truc_bach,) = old["units"]
    assert "nguyentrungtruc" in truc_bach["aliases"]
    assert [(e["unit"]["code"], e["kind"]) for e in truc_bach["successors"]] == [("00004", "whole")]
    assert "Phường Ba Đình [VN/2025-07-01/ward/00004]" in run("show", "00004", "--vintage", "2025-07-01")


def test_load_json_reports_nothing_changed_on_a_loaded_database(national_units):
    data = json.loads(run("load", "--json"))
    assert data["ok"] is True and data["changed"] is False
    assert data["counts"]["old"] == {"provinces": 63, "districts": 696, "wards": 10035}
    assert "Không có thay đổi" in run("load")
