"""Backup and restore of the whole platform: the database, the uploaded files and the var files (the generated
secret and keys, the audit checkpoints), with a manifest that lets the restore prove it lost nothing.

A backup is a directory:

    manifest.json      what the backup holds and how to check it: the row count of every table, the sha256 of
                       every uploaded file, the audit chain's head, the applied migrations, and the sha256 of the
                       two artefacts below
    database.dump      PostgreSQL's custom format (pg_dump -Fc), restored with pg_restore; or
    database.sqlite3   the embedded database, copied with SQLite's online backup API (consistent while in use)
    files.tar          $HOPNHAT_VAR_DIR without the database, the static files, earlier backups and the audit
                       key (kept apart from the data it protects; restore reads it from HOPNHAT_AUDIT_KEY)

`restore` goes only into an empty database (it refuses to overwrite one that holds the platform's tables), then
checks what it restored against the manifest: every table's row count, every file's sha256, and the audit chain
(`hopnhat audit verify`, run as the restored platform). A point-in-time recovery between two backups comes from
PostgreSQL's WAL archive (README, "Backup and restore").
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from . import audit
from .models import AuditEntry

FORMAT = 1
# Left out of files.tar: the database itself (its own artefact), what collectstatic rebuilds, earlier backups, and
# the test runs' scratch directories.
SKIP_IN_VAR = {"hopnhat.sqlite3", "hopnhat.sqlite3-wal", "hopnhat.sqlite3-shm", "static", "backups", "test",
               "test-sqlite", "test-pg", "oidc-provider",
               # the audit chain's key never travels with the database it protects: whoever holds a backup could
               # otherwise rewrite the chain; restore takes it from HOPNHAT_AUDIT_KEY (docs/security.md)
               "audit_key"}


class BackupError(Exception):
    """A backup or restore that cannot go on, named (Vietnamese first)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_postgres(db: dict) -> bool:
    return "postgresql" in db["ENGINE"]


def _pg_env(db: dict) -> dict:
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def table_counts() -> dict[str, int]:
    """Rows in every table of every installed model (and the many-to-many tables), by table name."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cur:
        for table in sorted(tables & existing):
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")   # noqa: S608 — our tables
            counts[table] = cur.fetchone()[0]
    return counts


def media_checksums(media_root: Path | None = None) -> dict[str, str]:
    root = Path(media_root or settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {str(path.relative_to(root)): _sha256(path) for path in sorted(root.rglob("*")) if path.is_file()}


def _audit_head() -> dict:
    last = AuditEntry.objects.order_by("-seq").first()
    return {"entries": AuditEntry.objects.count(), "last_seq": last.seq if last else 0,
            "last_hash": last.hash if last else audit.GENESIS}


def _migrations() -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"))


@dataclass
class BackupReport:
    path: Path
    manifest: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        m = self.manifest
        return {"path": str(self.path), "created_at": m["created_at"], "database": m["database"]["format"],
                "tables": len(m["tables"]), "rows": sum(m["tables"].values()), "files": len(m["media"]),
                "audit": m["audit"]}


def backup(target_dir: Path | None = None, now: datetime.datetime | None = None) -> BackupReport:
    """Write a backup directory under `target_dir` (default $HOPNHAT_VAR_DIR/backups) and return it."""
    now = now or datetime.datetime.now(datetime.UTC)
    target_dir = Path(target_dir or settings.VAR_DIR / "backups")
    path = target_dir / f"hopnhat-{now:%Y%m%d-%H%M%S}"
    if path.exists():
        raise BackupError(f"đã có bản sao lưu {path} / a backup already exists at {path}")
    work = path.with_name(path.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = connection.settings_dict
    # The manifest's counts are read before the dump; on a live system rows written in between appear in the
    # dump and not in the counts, so restore checks "at least" for them (the audit head pins the chain exactly).
    manifest = {"format": FORMAT, "created_at": now.isoformat(), "tables": table_counts(),
                "media": media_checksums(), "audit": _audit_head(), "migrations": _migrations()}
    if _is_postgres(db):
        dump = work / "database.dump"
        done = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), db["NAME"]], env=_pg_env(db),
                              capture_output=True, text=True, timeout=6 * 3600)
        if done.returncode != 0:
            raise BackupError(f"pg_dump thất bại / failed: {done.stderr.strip()}")
        manifest["database"] = {"format": "pg_dump-custom", "file": dump.name, "sha256": _sha256(dump)}
    else:
        copy = work / "database.sqlite3"
        source = sqlite3.connect(db["NAME"])
        dest = sqlite3.connect(copy)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        manifest["database"] = {"format": "sqlite3", "file": copy.name, "sha256": _sha256(copy)}
    files = work / "files.tar"
    var_dir = Path(settings.VAR_DIR)
    with tarfile.open(files, "w") as tar:
        for entry in sorted(var_dir.iterdir()):
            if entry.name in SKIP_IN_VAR or entry.name.endswith((".partial", ".sqlite3")):
                continue
            tar.add(entry, arcname=entry.name)
    manifest["files"] = {"file": files.name, "sha256": _sha256(files)}
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    work.rename(path)   # a backup that exists is a whole one
    return BackupReport(path, manifest)


# Retention, grandfather-father-son: the newest backup of each of the last N days, N ISO weeks and N months is kept
# (one backup may count for all three); everything older goes. A backup directory is only ever removed after a newer
# one was written whole, and only a directory this module named and finished (hopnhat-YYYYmmdd-HHMMSS with its
# manifest): a file an operator put beside them is never touched.
KEEP = {"daily": 7, "weekly": 4, "monthly": 12}
_STAMP = "hopnhat-%Y%m%d-%H%M%S"


@dataclass
class PruneReport:
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale_partials: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"kept": self.kept, "removed": self.removed, "stale_partials": self.stale_partials,
                "dry_run": self.dry_run}


def finished_backups(target_dir: Path) -> list[tuple[datetime.datetime, Path]]:
    """(when, path) of each whole backup under target_dir, newest first."""
    found = []
    for entry in Path(target_dir).iterdir() if Path(target_dir).is_dir() else ():
        try:
            when = datetime.datetime.strptime(entry.name, _STAMP).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
        if entry.is_dir() and (entry / "manifest.json").is_file():
            found.append((when, entry))
    return sorted(found, reverse=True)


def to_keep(stamps: list[datetime.datetime], keep: dict[str, int]) -> set[datetime.datetime]:
    """Which backups a retention keeps: the newest of each period, for the newest `keep[period]` periods.
    The newest backup is always kept, whatever the numbers say."""
    periods = {"daily": lambda t: t.date(), "weekly": lambda t: t.isocalendar()[:2],
               "monthly": lambda t: (t.year, t.month)}
    kept = set(stamps[:1])
    for name, key in periods.items():
        seen: list = []
        for stamp in sorted(stamps, reverse=True):
            period = key(stamp)
            if period in seen:
                continue
            if len(seen) >= keep.get(name, 0):
                break
            seen.append(period)
            kept.add(stamp)
    return kept


def configured_keep(value) -> dict[str, int]:
    """HOPNHAT_BACKUP_KEEP: "daily=7,weekly=4,monthly=12" (any of the three), or already a dict."""
    if isinstance(value, dict):
        return value
    out = {}
    for part in filter(None, (p.strip() for p in (value or "").split(","))):
        name, _, number = part.partition("=")
        if name.strip() not in KEEP or not number.strip().isdigit():
            raise BackupError(f"HOPNHAT_BACKUP_KEEP: “{part}” — cần dạng / needs the form daily=7,weekly=4,monthly=12")
        out[name.strip()] = int(number)
    return out


def prune(target_dir: Path | None = None, keep: dict[str, int] | None = None, *, dry_run: bool = False,
          now: datetime.datetime | None = None) -> PruneReport:
    """Remove the backups the retention does not keep, and `.partial` directories of backups that died more than a
    day ago (a running backup's own `.partial` is younger)."""
    target_dir = Path(target_dir or settings.VAR_DIR / "backups")
    keep = {**KEEP, **configured_keep(getattr(settings, "HOPNHAT_BACKUP_KEEP", "")), **(keep or {})}
    for name, number in keep.items():
        if name not in KEEP or not isinstance(number, int) or number < 0:
            raise BackupError(f"giữ lại / keep {name}={number!r}: cần daily, weekly, monthly ≥ 0 / needs daily, "
                              f"weekly, monthly ≥ 0")
    now = now or datetime.datetime.now(datetime.UTC)
    backups = finished_backups(target_dir)
    kept = to_keep([when for when, _ in backups], keep)
    report = PruneReport(dry_run=dry_run)
    for when, path in backups:
        if when in kept:
            report.kept.append(path.name)
            continue
        report.removed.append(path.name)
        if not dry_run:
            shutil.rmtree(path)
    if target_dir.is_dir():
        for partial in sorted(target_dir.glob("hopnhat-*.partial")):
            age = now.timestamp() - partial.stat().st_mtime
            if partial.is_dir() and age > 24 * 3600:
                report.stale_partials.append(partial.name)
                if not dry_run:
                    shutil.rmtree(partial)
    return report


@dataclass
class RestoreReport:
    path: Path
    database: str
    tables_checked: int = 0
    rows: int = 0
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    audit: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "path": str(self.path), "database": self.database,
                "tables_checked": self.tables_checked, "rows": self.rows, "files_checked": self.files_checked,
                "audit": self.audit, "problems": self.problems}


def read_manifest(path: Path) -> dict:
    path = Path(path)
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        raise BackupError(f"{path}: không phải bản sao lưu hopnhat (thiếu manifest.json) / not a hopnhat backup "
                          f"(no manifest.json)")
    try:
        manifest = json.loads(manifest_file.read_text())
    except ValueError as exc:
        raise BackupError(f"{manifest_file}: hỏng / unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_file}: định dạng {manifest.get('format')} không hỗ trợ / unsupported format")
    for part in (manifest["database"], manifest["files"]):
        artefact = path / part["file"]
        if not artefact.is_file() or _sha256(artefact) != part["sha256"]:
            raise BackupError(f"{artefact}: thiếu hoặc sai checksum / missing or its checksum differs")
    return manifest


def _target_tables(database_url: str) -> set[str]:
    import dj_database_url

    db = dj_database_url.parse(database_url)
    if _is_postgres(db):
        import psycopg

        with psycopg.connect(dbname=db["NAME"], host=db.get("HOST") or None, port=db.get("PORT") or None,
                             user=db.get("USER") or None, password=db.get("PASSWORD") or None) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        return {r[0] for r in rows}
    if not Path(db["NAME"]).exists():
        return set()
    with sqlite3.connect(db["NAME"]) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _target_counts(database_url: str, tables) -> dict[str, int]:
    import dj_database_url

    db = dj_database_url.parse(database_url)
    counts = {}
    if _is_postgres(db):
        import psycopg

        with psycopg.connect(dbname=db["NAME"], host=db.get("HOST") or None, port=db.get("PORT") or None,
                             user=db.get("USER") or None, password=db.get("PASSWORD") or None) as conn:
            for table in tables:
                counts[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]   # noqa: S608
        return counts
    with sqlite3.connect(db["NAME"]) as conn:
        for table in tables:
            counts[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]   # noqa: S608
    return counts


def restore(path: Path, database_url: str, var_dir: Path) -> RestoreReport:
    """Restore the backup at `path` into the empty database `database_url` and the directory `var_dir`, then
    check everything against the manifest. Refuses a database that already holds the platform's tables."""
    import dj_database_url

    path = Path(path)
    manifest = read_manifest(path)
    db = dj_database_url.parse(database_url)
    kind = "pg_dump-custom" if _is_postgres(db) else "sqlite3"
    if kind != manifest["database"]["format"]:
        raise BackupError(f"bản sao lưu là {manifest['database']['format']}, đích là {kind} / the backup is "
                          f"{manifest['database']['format']}, the target is {kind}")
    if "django_migrations" in _target_tables(database_url):
        raise BackupError(f"cơ sở dữ liệu đích {db['NAME']} không trống, không ghi đè / the target database "
                          f"{db['NAME']} is not empty; restore goes only into an empty one")
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    media_root = var_dir / "media"
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} không trống / is not empty")
    artefact = path / manifest["database"]["file"]
    if kind == "pg_dump-custom":
        done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", db["NAME"], str(artefact)],
                              env=_pg_env(db), capture_output=True, text=True, timeout=6 * 3600)
        if done.returncode != 0:
            raise BackupError(f"pg_restore thất bại / failed: {done.stderr.strip()}")
    else:
        shutil.copyfile(artefact, db["NAME"])
    with tarfile.open(path / manifest["files"]["file"]) as tar:
        tar.extractall(var_dir, filter="data")

    report = RestoreReport(path, db["NAME"])
    counts = _target_counts(database_url, manifest["tables"])
    for table, expected in manifest["tables"].items():
        got = counts.get(table)
        report.tables_checked += 1
        report.rows += got or 0
        if got is None or got < expected:
            report.problems.append(f"bảng {table}: {got} dòng, sao lưu ghi {expected} / table {table}: {got} rows, "
                                   f"the backup recorded {expected}")
    restored_media = media_checksums(media_root)
    for name, digest in manifest["media"].items():
        report.files_checked += 1
        if restored_media.get(name) != digest:
            report.problems.append(f"tệp {name}: thiếu hoặc khác checksum / file {name}: missing or different")
    report.audit = _verify_audit_as_restored(database_url, var_dir, manifest["audit"])
    if not report.audit.get("ok"):
        report.problems.append(f"nhật ký kiểm toán / audit chain: {report.audit.get('error', report.audit)}")
    return report


def _verify_audit_as_restored(database_url: str, var_dir: Path, head: dict) -> dict:
    """Run `hopnhat audit verify` as the restored platform (its database, its var files and keys)."""
    env = {**os.environ, "DATABASE_URL": database_url, "HOPNHAT_VAR_DIR": str(var_dir)}
    # The key the chain was written with: from the operator's secret store (HOPNHAT_AUDIT_KEY), which this process
    # already reads; a backup never carries it.
    if key := getattr(settings, "HOPNHAT_AUDIT_KEY", ""):
        env["HOPNHAT_AUDIT_KEY"] = key
    done = subprocess.run([sys.executable, "-m", "hopnhat", "audit", "verify", "--json"], env=env,
                          capture_output=True, text=True, timeout=3600)
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return {"ok": False, "error": (done.stderr or done.stdout).strip()[-2000:]}
    answer.setdefault("ok", done.returncode == 0)
    if answer["ok"] and answer.get("checked", head["entries"]) < head["entries"]:
        answer["ok"] = False
        answer["error"] = f"{answer.get('checked')} mục, sao lưu ghi {head['entries']} / entries fewer than recorded"
    return answer
