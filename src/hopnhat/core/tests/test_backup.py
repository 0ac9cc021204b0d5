"""The restore drill: back the platform up, restore it into a fresh, empty database and var directory, and check
the audit chain, every table's row count and every file's checksum against the original."""

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
