"""kill -9 a real `hopnhat consolidate run` at several points, run it again, and compare the end state with an
uninterrupted run: nothing lost, nothing duplicated."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml
from django.conf import settings

from .legacy_hr import LegacyHr, to_tcvn3

ROWS = 2400
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quốc", "Thu", "Ngọc", "Xuân"]
GIVEN = ["Hùng", "Mai", "Lan", "Sơn", "Dũng", "Hà", "Thắng", "Nhung", "Khải", "Hiền", "Tùng", "Bảo", "Phúc"]


def _rows():
    """Old HR rows with merges (same CCCD), look-alikes (same name and birth date, no CCCD), impossible dates,
    missing names, and runs of equal cursor values that straddle batch edges."""
    for i in range(1, ROWS + 1):
        name = f"{SURNAMES[i % 13]} {MIDDLE[i % 8]} {GIVEN[(i * 7) % 13]}"
        birth = f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        cccd = f"0{i % 63 + 1:02d}0{i:08d}"[:12]
        if i % 97 == 0:
            cccd = f"0{(i - 50) % 63 + 1:02d}0{i - 50:08d}"[:12]  # the same person as row i-50
        if i % 211 == 0:
            j = i - 100
            name = f"{SURNAMES[j % 13]} {MIDDLE[j % 8]} {GIVEN[(j * 7) % 13]}"
            birth, cccd = f"{1960 + j % 40}-{1 + j % 12:02d}-{1 + j % 28:02d}", None
        if i % 50 == 0:
            birth = "2023-02-30"
        if i % 333 == 0:
            name = None
        updated = f"2025-05-{1 + (i // 7) // 24 % 28:02d} {(i // 7) % 24:02d}:00:00"
        yield (i, name, birth, cccd, None, None, None, "Chuyên viên", updated)


def _mapping(db: LegacyHr) -> dict:
    mapping = db.mapping(batch_size=40)
    mapping["system"] = "hr-hagiang-resume"
    # These rows name no unit: without a membership a title would be stored nowhere (reconciliation says so).
    mapping["fields"] = {k: v for k, v in mapping["fields"].items() if k not in ("agency_code", "position")}
    return mapping


class Target:
    """A migrated database for the subprocess, on the same kind of server the test suite runs on."""

    def __init__(self, tmp: Path, name: str):
        self.tmp, self.name = tmp, name
        self.pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        self.url = (f"postgres://postgres@127.0.0.1:5432/{name}" if self.pg else f"sqlite:///{tmp / name}.sqlite3")

    def env(self) -> dict:
        return {**os.environ, "DATABASE_URL": self.url, "HOPNHAT_VAR_DIR": str(self.tmp / "var"),
                "HOPNHAT_TESTING": "", "DJANGO_SETTINGS_MODULE": "hopnhat.settings"}

    def clone(self, name: str) -> "Target":
        other = Target(self.tmp, name)
        if self.pg:
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        else:
            shutil.copy(self.tmp / f"{self.name}.sqlite3", self.tmp / f"{name}.sqlite3")
        return other

    def drop(self):
        if self.pg:
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str) -> list[tuple]:
        if self.pg:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{self.name}") as conn:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
        conn = sqlite3.connect(self.tmp / f"{self.name}.sqlite3", timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def hopnhat(self, *args) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "hopnhat", *args], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def state(self) -> dict:
        """Everything a run leaves, by content (primary keys differ between databases)."""
        person = "SELECT id, full_name, birth_date, national_id_hash FROM org_person"
        people = {str(r[0]): (r[1], str(r[2]), r[3]) for r in self.query(person)}
        staged = sorted(
            (key, outcome, reason.split(" / ")[0], checksum, people.get(pk) if pk else None, source_deleted)
            for key, outcome, reason, checksum, pk, source_deleted in self.query(
                "SELECT key, outcome, reason, checksum, target_pk, source_deleted FROM consolidation_stagedrecord"))
        provenance = sorted((key, people.get(pk)) for key, pk in self.query(
            "SELECT source_key, object_pk FROM core_provenance WHERE source_system = 'hr-hagiang-resume'"))
        reviews = sorted((kind, people.get(left), people.get(right)) for kind, left, right in self.query(
            "SELECT kind, left_pk, right_pk FROM consolidation_reviewitem"))
        return {"people": sorted(people.values()), "staged": staged, "provenance": provenance,
                "reviews": reviews}


@pytest.fixture
def template(tmp_path):
    target = Target(tmp_path, f"hn_engine_t_{uuid.uuid4().hex[:8]}")
    if target.pg:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{target.name}"')
    migrate = target.hopnhat("migrate", "--no-input", "-v0")
    assert migrate.wait(timeout=600) == 0, migrate.stderr.read()
    yield target
    target.drop()


@pytest.fixture
def big_legacy():
    db = LegacyHr().create(staff=[])
    with db.connect() as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO nhan_su VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [(r[0], to_tcvn3(r[1]) if r[1] else None, *r[2:7], to_tcvn3(r[7]), r[8])
                         for r in _rows()])
    yield db
    db.drop()


def _staged_count(target: Target) -> int:
    try:
        return target.query("SELECT count(*) FROM consolidation_stagedrecord")[0][0]
    except (sqlite3.OperationalError, psycopg.Error):
        return 0


@pytest.mark.slow
def test_killed_runs_resume_to_the_same_state_as_an_uninterrupted_run(template, big_legacy, tmp_path):
    mapping_path = tmp_path / "hr-hagiang.yaml"
    mapping_path.write_text(yaml.safe_dump(_mapping(big_legacy), allow_unicode=True), encoding="utf-8")
    straight, killed = template.clone(template.name + "_a"), template.clone(template.name + "_b")
    try:
        done = straight.hopnhat("consolidate", "run", str(mapping_path), "--json")
        assert done.wait(timeout=600) == 0, done.stderr.read()[-3000:]

        kills = 0
        for threshold in (1, 700, 1500, 2300):  # before the first commit, then early, middle and late
            process = killed.hopnhat("consolidate", "run", str(mapping_path), "--json")
            deadline = time.monotonic() + 300
            while process.poll() is None and time.monotonic() < deadline:
                if _staged_count(killed) >= threshold:
                    break
                time.sleep(0.02)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
        assert kills >= 3, "the run finished before it could be killed; make it longer"
        assert 0 < _staged_count(killed) < ROWS  # killed part-way
        resumed = killed.hopnhat("consolidate", "run", str(mapping_path), "--json")
        assert resumed.wait(timeout=600) == 0, resumed.stderr.read()[-3000:]
        final = killed.hopnhat("consolidate", "run", str(mapping_path), "--full-scan", "--json")
        assert final.wait(timeout=600) == 0, final.stderr.read()[-3000:]

        expected, got = straight.state(), killed.state()
        assert len(expected["staged"]) == ROWS
        assert {s[1] for s in expected["staged"]} == {"loaded", "merged", "quarantined"}
        assert expected["reviews"]
        assert got == expected
        interrupted = killed.query("SELECT count(*) FROM consolidation_migrationrun WHERE status = 'interrupted'")
        assert interrupted[0][0] == kills
    finally:
        straight.drop()
        killed.drop()
