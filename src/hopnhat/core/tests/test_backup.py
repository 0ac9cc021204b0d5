"""The restore drill: back the platform up, restore it into a fresh, empty database and var directory, and check
the audit chain, every table's row count and every file's checksum against the original."""

import datetime
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from hopnhat.core import audit, backup
from hopnhat.core.models import AuditEntry, CalendarDay, CalendarKind


@pytest.fixture
def platform_with_data(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    settings.VAR_DIR = tmp_path / "var"
    (settings.MEDIA_ROOT / "dossiers" / "2025").mkdir(parents=True)
    (settings.MEDIA_ROOT / "dossiers" / "2025" / "giấy tờ.pdf").write_bytes(b"%PDF-1.4 hop nhat " * 100)
    (settings.VAR_DIR / "secret_key").write_text(settings.SECRET_KEY)
    for day in range(1, 6):
        CalendarDay.objects.create(date=f"2025-10-{day:02d}", kind=CalendarKind.DAY_OFF, note=f"Nghỉ bù {day}")
        audit.record("system:drill", "core.test_backup", ("core.calendarday", str(day)), note="ngày nghỉ bù")
    return settings


def _fresh_database_url(tmp_path) -> tuple[str, callable]:
    db = connection.settings_dict
    if "postgresql" not in db["ENGINE"]:
        return f"sqlite:///{tmp_path / 'restored' / 'hopnhat.sqlite3'}", lambda: None
    import psycopg

    name = f"hn_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", host=db.get("HOST") or None, port=db.get("PORT") or None,
                         user=db.get("USER") or None, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(dbname="postgres", host=db.get("HOST") or None, port=db.get("PORT") or None,
                             user=db.get("USER") or None, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}", drop


def test_restore_drill_loses_nothing(platform_with_data, tmp_path):
    made = backup.backup(tmp_path / "backups")
    manifest = made.manifest
    assert manifest["tables"]["core_calendarday"] == 5
    assert manifest["audit"]["entries"] == AuditEntry.objects.count() >= 5
    assert list(manifest["media"]) == ["dossiers/2025/giấy tờ.pdf"]

    url, drop = _fresh_database_url(tmp_path)
    (tmp_path / "restored").mkdir(exist_ok=True)
    try:
        report = backup.restore(made.path, url, tmp_path / "restored")
        assert report.problems == []
        assert report.ok and report.audit["ok"] and report.audit["checked"] == manifest["audit"]["entries"]
        assert report.tables_checked == len(manifest["tables"]) and report.files_checked == 1
        restored_file = tmp_path / "restored" / "media" / "dossiers" / "2025" / "giấy tờ.pdf"
        assert restored_file.read_bytes() == b"%PDF-1.4 hop nhat " * 100
        # a second restore into the same, now full, database is refused, never merged into it
        with pytest.raises(backup.BackupError, match="không trống"):
            backup.restore(made.path, url, tmp_path / "restored-again")
    finally:
        drop()


def test_a_damaged_backup_is_refused_before_anything_is_written(platform_with_data, tmp_path):
    made = backup.backup(tmp_path / "backups")
    files = made.path / "files.tar"
    files.write_bytes(files.read_bytes()[:-512])
    with pytest.raises(backup.BackupError, match="files.tar"):
        backup.restore(made.path, f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path / "x")
    assert not (tmp_path / "x.sqlite3").exists()


def test_a_restore_that_lost_rows_is_reported(platform_with_data, tmp_path):
    made = backup.backup(tmp_path / "backups")
    manifest = json.loads((made.path / "manifest.json").read_text())
    manifest["tables"]["core_calendarday"] = 6   # the manifest says one row more than the dump holds
    (made.path / "manifest.json").write_text(json.dumps(manifest))
    url, drop = _fresh_database_url(tmp_path)
    (tmp_path / "restored").mkdir(exist_ok=True)
    try:
        report = backup.restore(made.path, url, tmp_path / "restored")
        assert not report.ok and any("core_calendarday" in p for p in report.problems)
    finally:
        drop()


def test_cli_backup_and_restore_answer_in_json(platform_with_data, tmp_path):
    from django.core.management import call_command

    call_command("backup", "--to", str(tmp_path / "b"), "--json", stdout=(out := __import__("io").StringIO()))
    answer = json.loads(out.getvalue())
    assert answer["tables"] > 10 and answer["files"] == 1
    done = subprocess.run([sys.executable, "-m", "hopnhat", "restore", str(tmp_path / "nowhere"), "--json"],
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "HOPNHAT_VAR_DIR": str(tmp_path / "v")})
    assert done.returncode == 2 and "manifest.json" in json.loads(done.stdout)["error"]
    assert Path(settings.MEDIA_ROOT).exists()


def _fake_backup(root: Path, when: datetime.datetime) -> Path:
    path = root / when.strftime("hopnhat-%Y%m%d-%H%M%S")
    path.mkdir(parents=True)
    (path / "manifest.json").write_text("{}")
    return path


def test_retention_keeps_the_newest_of_each_day_week_and_month_and_touches_nothing_else(tmp_path):
    import os

    root = tmp_path / "backups"
    start = datetime.datetime(2026, 1, 1, 1, 30, tzinfo=datetime.UTC)
    # A nightly backup for 100 nights, and a second one on the last night (an operator's before an upgrade).
    for night in range(100):
        _fake_backup(root, start + datetime.timedelta(days=night))
    last = start + datetime.timedelta(days=99)
    _fake_backup(root, last + datetime.timedelta(hours=12))
    (root / "ghi-chu.txt").write_text("bản sao lưu ngoài hệ thống")          # not ours: never touched
    (root / "hopnhat-20260101-013000-copy").mkdir()                          # not our name: never touched
    stale = root / "hopnhat-20260301-013000.partial"                         # a backup that died long ago
    stale.mkdir()
    os.utime(stale, (start.timestamp(), start.timestamp()))
    running = root / "hopnhat-20260410-013000.partial"                       # one being written now
    running.mkdir()
    now = last + datetime.timedelta(hours=13)

    preview = backup.prune(root, {"daily": 7, "weekly": 4, "monthly": 3}, dry_run=True, now=now)
    assert len(list(root.iterdir())) == 101 + 4 and preview.dry_run and preview.removed

    report = backup.prune(root, {"daily": 7, "weekly": 4, "monthly": 3}, now=now)
    kept = sorted(report.kept)
    assert report.removed == preview.removed and len(report.removed) + len(kept) == 101
    stamps = sorted(datetime.datetime.strptime(k, "hopnhat-%Y%m%d-%H%M%S").replace(tzinfo=datetime.UTC)
                    for k in kept)
    days = {s.date() for s in stamps}
    # The newest of each of the last 7 days (the last night counts once, by its later backup) …
    assert {last.date() - datetime.timedelta(days=d) for d in range(7)} <= days
    assert (last + datetime.timedelta(hours=12)).strftime("hopnhat-%Y%m%d-%H%M%S") in kept
    assert last.strftime("hopnhat-%Y%m%d-%H%M%S") not in kept
    # … of each of the last 4 ISO weeks and the last 3 months, and nothing else.
    assert len({s.isocalendar()[:2] for s in stamps}) >= 4 and len({(s.year, s.month) for s in stamps}) == 3
    assert len(kept) <= 7 + 4 + 3
    assert (root / "ghi-chu.txt").exists() and (root / "hopnhat-20260101-013000-copy").exists()
    assert not stale.exists() and running.exists() and report.stale_partials == [stale.name]
    # Nothing to keep at all still keeps the newest.
    assert backup.prune(root, {"daily": 0, "weekly": 0, "monthly": 0}, now=now).kept == [
        (last + datetime.timedelta(hours=12)).strftime("hopnhat-%Y%m%d-%H%M%S")]
    with pytest.raises(backup.BackupError, match="keep"):
        backup.prune(root, {"daily": -1})


def test_cli_backup_prunes_after_the_new_backup_is_whole(platform_with_data, tmp_path):
    import io

    from django.core.management import call_command

    root = tmp_path / "b"
    for days_ago in (400, 200, 100, 40, 20, 10, 3, 2, 1):
        _fake_backup(root, datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago))
    call_command("backup", "--to", str(root), "--keep-daily", "2", "--keep-weekly", "0", "--keep-monthly", "0",
                 "--dry-run", "--json", stdout=(out := io.StringIO()))
    preview = json.loads(out.getvalue())
    assert "path" not in preview and len(preview["pruned"]["removed"]) == 7 and len(list(root.iterdir())) == 9
    call_command("backup", "--to", str(root), "--keep-daily", "2", "--keep-weekly", "0", "--keep-monthly", "0",
                 "--json", stdout=(out := io.StringIO()))
    answer = json.loads(out.getvalue())
    assert Path(answer["path"]).name in answer["pruned"]["kept"] and len(answer["pruned"]["kept"]) == 2
    assert len(answer["pruned"]["removed"]) == 8 and len(list(root.iterdir())) == 2
    call_command("backup", "--to", str(root), "--prune-only", stdout=(out := io.StringIO()))
    assert "removed 0 older backups, kept 2" in out.getvalue()


def test_retention_from_the_environment_and_a_mistake_in_it(tmp_path, settings):
    root = tmp_path / "backups"
    for days_ago in range(5):
        _fake_backup(root, datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC) - datetime.timedelta(days=days_ago))
    settings.HOPNHAT_BACKUP_KEEP = "daily=2, weekly=0,monthly=0"
    assert len(backup.prune(root, dry_run=True).kept) == 2
    settings.HOPNHAT_BACKUP_KEEP = "hằng ngày=7"
    with pytest.raises(backup.BackupError, match="daily=7,weekly=4,monthly=12"):
        backup.prune(root)
    assert len(list(root.iterdir())) == 5
