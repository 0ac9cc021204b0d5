"""Point-in-time recovery drill: the recovery point and recovery time of the WAL-archiving set-up the README's
production notes document, measured rather than stated (issue 18).

    .venv/bin/python bench/pitr_drill.py [--seconds 150] [--archive-timeout 60] [--interval 0.1]

A private PostgreSQL cluster (initdb in bench/out/pitr, its own port: the shared server is never touched) with the
README's settings (wal_level = replica, archive_mode = on, archive_command copying to an archive directory,
archive_timeout), a base backup taken as documented (pg_basebackup -Ft -z -X fetch), then a writer committing one
row every `interval` seconds for `seconds`; then the server is lost (kill -9 and its data directory deleted: only
the base backup and the WAL archive are left, as after a lost disk). Recovery as documented: the base backup
unpacked into an empty directory, restore_command from the archive, recovery.signal, start, wait for the end of
recovery. Reports the last commit the writer saw acknowledged, the last one recovered, and the difference (the
recovery point actually achieved), the time recovery took, and the rows lost. Prints one JSON document.
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "pitr"


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)")
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """PostgreSQL's server programs refuse to run as root: run them as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *cmd], check=check, capture_output=True, text=True, **kw)


def start(bin_dir: Path, data: Path, log: Path) -> None:
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "300", "start")


def connect(port: int):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=150, help="how long the writer commits before the loss")
    parser.add_argument("--archive-timeout", type=int, default=60, help="archive_timeout (the README's: 60 s)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between the writer's commits")
    args = parser.parse_args(argv)
    bin_dir = pg_bin()
    shutil.rmtree(OUT, ignore_errors=True)
    data, archive, base, restored = OUT / "data", OUT / "wal-archive", OUT / "base", OUT / "restored"
    for d in (OUT, archive, base):
        d.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(OUT, "postgres", "postgres")
        for d in (archive, base):
            shutil.chown(d, "postgres", "postgres")
    port = free_port()
    figures: dict = {"postgresql": bin_dir.parent.name, "archive_timeout_s": args.archive_timeout,
                     "writer_interval_s": args.interval, "load_average_at_start": os.getloadavg()}
    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"""
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{OUT}'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
archive_timeout = {args.archive_timeout}
""")
    try:
        start(bin_dir, data, OUT / "primary.log")
        with connect(port) as conn:
            conn.execute("CREATE TABLE ho_so_moi (id bigserial PRIMARY KEY, at timestamptz NOT NULL "
                         "DEFAULT clock_timestamp(), note text)")
        started = time.monotonic()
        as_postgres(str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                    "-D", str(base), "-Ft", "-z", "-X", "fetch")
        figures["base_backup_s"] = round(time.monotonic() - started, 1)
        # the writer: one acknowledged commit at a time; what it saw acknowledged is what must not be lost
        last_id, last_at, commits = 0, None, 0
        deadline = time.monotonic() + args.seconds
        with connect(port) as conn:
            while time.monotonic() < deadline:
                last_id, last_at = conn.execute("INSERT INTO ho_so_moi (note) VALUES ('hồ sơ tiếp nhận') "
                                                "RETURNING id, at").fetchone()
                commits += 1
                time.sleep(args.interval)
        archived = sorted(p.name for p in archive.iterdir())
        # the loss: the server dies and its disk with it
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, 9)
        shutil.rmtree(data)
        lost_at = time.monotonic()
        # recovery as documented
        restored.mkdir()
        with tarfile.open(base / "base.tar.gz") as tar:
            tar.extractall(restored, filter="tar")
        (restored / "recovery.signal").touch()
        with (restored / "postgresql.conf").open("a") as conf:
            conf.write(f"\nrestore_command = 'cp {archive}/%f %p'\n")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(restored)], check=True)
        restored.chmod(0o700)
        start(bin_dir, restored, OUT / "restored.log")
        with connect(port) as conn:
            while conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                time.sleep(0.2)
            recovery_s = time.monotonic() - lost_at
            got_id, got_at, rows = conn.execute("SELECT max(id), max(at), count(*) FROM ho_so_moi").fetchone()
        lost_s = (last_at - got_at).total_seconds() if got_at else None
        figures.update({
            "writer": {"seconds": args.seconds, "commits_acknowledged": commits, "last_id": last_id},
            "wal_segments_archived_before_loss": len([a for a in archived if not a.endswith((".backup",
                                                                                            ".history"))]),
            "recovered": {"rows": rows, "last_id": got_id},
            "rows_lost": last_id - (got_id or 0),
            "recovery_point_s": round(lost_s, 1) if lost_s is not None else None,
            "recovery_time_s": round(recovery_s, 1),
            "targets_met": {f"recovery point <= archive_timeout ({args.archive_timeout} s)":
                            lost_s is not None and lost_s <= args.archive_timeout},
        })
    finally:
        for d in (restored, data):
            if (d / "postmaster.pid").exists():
                as_postgres(str(bin_dir / "pg_ctl"), "-D", str(d), "-m", "immediate", "stop", check=False)
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2, default=str))
