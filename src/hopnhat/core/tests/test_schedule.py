"""The periodic jobs: one list (core.schedule), every command a real one, the committed systemd units exactly what
`hopnhat schedule systemd` writes (docs/decisions.md, "Periodic jobs: systemd timers generated from one list")."""

import io
import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

import hopnhat
from hopnhat.core import schedule
from hopnhat.core.lang import has_vietnamese, vi_en

DEPLOY_TIMERS = Path(hopnhat.__file__).resolve().parents[2] / "deploy" / "timers"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("schedule", *args, stdout=out)
    return out.getvalue()


def test_the_list_holds_the_jobs_the_docs_ask_for():
    commands = {job.command_line for job in schedule.jobs()}
    assert {"hopnhat mail notices", "hopnhat mail publish", "hopnhat audit checkpoint", "hopnhat audit verify",
            "hopnhat outbox send", "hopnhat consolidate purge-staging", "hopnhat dossiers sweep-uploads",
            "hopnhat backup"} <= commands
    by_name = {job.name: job for job in schedule.jobs()}
    assert by_name["mail-notices"].schedule == "*-*-* *:*:00"
    # the forwarding period ends at midnight in Vietnam, whatever the host's clock is set to
    assert by_name["mail-publish"].schedule.endswith("Asia/Ho_Chi_Minh")


def test_every_job_is_a_real_command_and_sub_command():
    known = get_commands()
    for job in schedule.jobs():
        name, *args = job.command
        assert name in known, f"{job.name}: no command `hopnhat {name}`"
        parser = load_command_class(known[name], name).create_parser("hopnhat", name)
        try:
            parser.parse_args(args)
        except (CommandError, SystemExit) as exc:   # Django's parser's answer to an unknown sub-command or argument
            pytest.fail(f"{job.name}: `{job.command_line}` does not parse ({exc})")


def test_a_job_that_names_no_sub_command_is_caught():
    known = get_commands()
    parser = load_command_class(known["mail"], "mail").create_parser("hopnhat", "mail")
    with pytest.raises(CommandError, match="invalid choice: 'publsh'"):
        parser.parse_args(["publsh"])


def test_the_why_is_in_both_languages_in_nfc():
    for job in schedule.jobs():
        assert has_vietnamese(job.why) and job.why.en and not has_vietnamese(job.why.en), job.name
        assert unicodedata.is_normalized("NFC", str(job.why)), job.name


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_every_schedule_is_one_systemd_understands():
    for job in schedule.jobs():
        done = subprocess.run(["systemd-analyze", "calendar", job.schedule], capture_output=True, text=True)
        assert done.returncode == 0, f"{job.name}: {job.schedule!r}: {done.stderr}"


def test_the_committed_units_are_what_the_generator_writes(tmp_path):
    _run("systemd", "--output", str(tmp_path))
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DEPLOY_TIMERS.iterdir()}
    assert sorted(committed) == sorted(generated), (
        "deploy/timers/ differs from the job list: hopnhat schedule systemd --output deploy/timers (and remove "
        "the units of jobs that are gone)")
    for name, text in generated.items():
        assert committed[name] == text, f"deploy/timers/{name} drifted: hopnhat schedule systemd --output deploy/timers"


def test_a_pair_per_job_run_like_the_worker():
    units = schedule.units()
    assert len(units) == 2 * len(schedule.jobs())
    service, timer = units["hopnhat-audit-verify.service"], units["hopnhat-audit-verify.timer"]
    worker = (DEPLOY_TIMERS.parent / "hopnhat-worker.service").read_text(encoding="utf-8")
    for line in ("User=hopnhat", "EnvironmentFile=/etc/hopnhat/env", "WorkingDirectory=/srv/hopnhat", "Nice=10",
                 "CPUWeight=20", "Environment=HOPNHAT_TASK_BACKEND=django_tasks_db.DatabaseBackend"):
        assert f"\n{line}\n" in worker and f"\n{line}\n" in service, line
    assert "\nType=oneshot\n" in service and "\nExecStart=/srv/hopnhat/.venv/bin/hopnhat audit verify\n" in service
    assert "\nOnCalendar=*-*-* 03:30:00 Asia/Ho_Chi_Minh\n" in timer and "\nPersistent=true\n" in timer
    assert "\nUnit=hopnhat-audit-verify.service\n" in timer and "\nWantedBy=timers.target\n" in timer


def test_the_list_as_json_and_as_a_table():
    data = json.loads(_run("--json"))
    assert data["ok"] and [job["name"] for job in data["jobs"]] == [job.name for job in schedule.jobs()]
    notices = next(job for job in data["jobs"] if job["name"] == "mail-notices")
    assert notices["command"] == ["hopnhat", "mail", "notices"]
    assert notices["why"]["vi"].startswith("Mỗi phút") and notices["why"]["en"].startswith("Every minute")
    assert notices["units"] == ["hopnhat-mail-notices.service", "hopnhat-mail-notices.timer"]
    assert json.loads(_run("list", "--json")) == data
    table = _run()
    assert "lịch / OnCalendar" in table and "hopnhat mail notices" in table and "systemctl enable --now" in table


def test_writing_the_units_names_them(tmp_path):
    data = json.loads(_run("systemd", "--output", str(tmp_path / "units"), "--json"))
    assert data["ok"] and len(data["files"]) == 2 * len(schedule.jobs())
    assert "hopnhat-outbox-send.timer" in data["timers"]
    assert (tmp_path / "units" / "hopnhat-outbox-send.service").exists()


def test_a_job_is_checked_when_made():
    why = vi_en("Hằng ngày", "Daily")
    with pytest.raises(ValueError):
        schedule.Job("mail notices", ("mail", "notices"), "daily", why)
    with pytest.raises(ValueError):
        schedule.Job("x", ("mail", "a b"), "daily", why)
    with pytest.raises(ValueError):
        schedule.Job("x", ("mail", "notices"), "daily", "Hằng ngày / daily")
