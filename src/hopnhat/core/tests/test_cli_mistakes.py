"""A mistake on the command line gets its reason and exit status 2, as one JSON document under --json: an unknown
command (with the nearest names), a wrong or missing argument (argparse), a value that names nothing."""

import json
import sys

import pytest

from hopnhat.cli import main


def _exits(capsys, monkeypatch, *argv) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["hopnhat", *argv])
    # run_from_argv closes every connection when it ends: the test database must outlive one command
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_an_unknown_command_names_itself_and_the_nearest_ones(capsys, monkeypatch):
    code, out, err = _exits(capsys, monkeypatch, "agencie", "--json")
    assert code == 2 and json.loads(out) == {"ok": False, "error": err.strip()}
    assert "“agencie”" in err and "agencies" in err and "hopnhat --help" in err


def test_a_wrong_argument_is_a_json_answer_under_json(capsys, monkeypatch):
    code, out, err = _exits(capsys, monkeypatch, "units", "lineage", "Hà Giang", "--at", "1/7/2025", "--json")
    answer = json.loads(out)
    assert code == 2 and answer["ok"] is False and "“1/7/2025”" in answer["error"] and "YYYY-MM-DD" in err
    assert answer["usage"].startswith("usage: hopnhat units lineage")
    code, out, err = _exits(capsys, monkeypatch, "consolidate", "qurantine", "--json")
    assert code == 2 and "invalid choice: 'qurantine'" in json.loads(out)["error"]
    code, out, err = _exits(capsys, monkeypatch, "units", "lineage")   # no --json: argparse's text alone
    assert code == 2 and out == "" and "required: query" in err


@pytest.mark.django_db
def test_a_value_that_names_nothing_exits_2_with_the_reason(capsys, monkeypatch, tmp_path):
    missing = tmp_path / "khong-co.yaml"
    code, out, _ = _exits(capsys, monkeypatch, "consolidate", "run", str(missing), "--json")
    assert code == 2 and json.loads(out)["error"].startswith(f"{missing}: không đọc được tệp ánh xạ")
    code, out, _ = _exits(capsys, monkeypatch, "signin", "unlock", "--json")
    assert code == 2 and "--user" in json.loads(out)["error"]


@pytest.mark.django_db
def test_every_apps_commands_answer_a_mistake_with_2_and_the_reason(capsys, monkeypatch, tmp_path):
    """dossiers, directory, mail, documents and reports: a code, a name or a file that names nothing."""
    (tmp_path / "hong.yaml").write_text("mailboxes: [old: {", encoding="utf-8")
    wrong = {
        ("dossiers", "lookup", "000.99.99.H26-250101-9999"): "000.99.99.H26-250101-9999",
        ("dossiers", "outbox", "requeue", "--dossier", "000.99.99.H26-250101-9999"): "000.99.99.H26-250101-9999",
        ("dossiers", "catalogue-decide", "987654", "--actor", "admin"): "#987654",
        ("dossiers", "procedures", str(tmp_path / "không-có.csv")): "không-có.csv",
        ("directory", "export", "Sở Không Tồn Tại"): "Sở Không Tồn Tại",
        ("mail", "migrate", str(tmp_path / "ke-hoach.yaml")): "ke-hoach.yaml",
        ("mail", "verify", "a@hanoi.gov.vn", "--plan", str(tmp_path / "ke-hoach.yaml")): "ke-hoach.yaml",
        ("mail", "migrate", str(tmp_path / "hong.yaml")): "hong.yaml",
        ("documents", "lookup", "999/QĐ-KHONGCO"): "999/QĐ-KHONGCO",
        ("reports", "template", str(tmp_path / "mau.xlsx"), "--form", "KHONG-CO"): "KHONG-CO",
        ("outbox", "send", "--link", "khong-co"): "khong-co",
    }
    for argv, named in wrong.items():
        code, out, err = _exits(capsys, monkeypatch, *argv, "--json")
        answer = json.loads(out)
        assert (code, answer["ok"]) == (2, False) and named in answer["error"], (argv, code, out, err)


@pytest.mark.django_db
def test_json_answers_say_ok(capsys, monkeypatch, tmp_path):
    for argv in (["search", "giấy khai sinh"], ["signin", "locked"], ["schedule"], ["outbox", "send"],
                 ["portal", "redirects", "nginx-map", str(tmp_path / "redirects.map")]):
        monkeypatch.setattr(sys, "argv", ["hopnhat", *argv, "--json"])
        monkeypatch.setattr("django.db.connections.close_all", lambda: None)
        main([*argv, "--json"])
        assert json.loads(capsys.readouterr().out)["ok"] is True, argv
