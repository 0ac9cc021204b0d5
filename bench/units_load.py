"""Time load_national_units(): a first load and a re-load on a fresh SQLite file and on a fresh PostgreSQL database.

    .venv/bin/python bench/units_load.py [--sqlite-only] [--pg postgres://postgres@127.0.0.1:5432/postgres]

Prints one JSON document. Each backend runs in its own child process (settings come from the environment), on a
database created for the run and dropped after it. Target: ≤ 60 s for the first load on SQLite.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DB = "bench_hopnhat_units_load"


def child() -> None:
    """Migrate the fresh database, then load twice; print the timings as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hopnhat.org.units_load import load_national_units

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    runs = []
    for label in ("first", "again"):
        started = time.perf_counter()
        result = load_national_units()
        runs.append({"run": label, "seconds": round(time.perf_counter() - started, 2),
                     "read_seconds": result["read_seconds"], "changed": result["changed"],
                     "units": result["units"], "edges": result["edges"], "aliases": result["aliases"]})
    print(json.dumps({"vendor": connection.vendor, "migrate_seconds": round(migrate_seconds, 2), "runs": runs,
                      "counts": result["counts"]}, ensure_ascii=False))


def run_child(env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child"], env={**os.environ, **env}, cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_sqlite() -> dict:
    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-") as var_dir:
        return run_child({"HOPNHAT_VAR_DIR": var_dir, "DATABASE_URL": f"sqlite:///{var_dir}/bench.sqlite3"})


def bench_postgres(admin_url: str) -> dict:
    import psycopg

    parts = urlsplit(admin_url)
    bench_url = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    try:
        with tempfile.TemporaryDirectory(prefix="hopnhat-bench-") as var_dir:
            return run_child({"HOPNHAT_VAR_DIR": var_dir, "DATABASE_URL": bench_url})
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.child:
        child()
        return
    report = {"figure": "units_load", "target_seconds_sqlite_first": 60, "sqlite": bench_sqlite()}
    if not args.sqlite_only:
        report["postgresql"] = bench_postgres(args.pg)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
