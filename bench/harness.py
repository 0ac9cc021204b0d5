"""What the PostgreSQL benchmarks share: run the measuring half of a script (`--child`) in a subprocess against
its own database, so Django is configured for that database from the start and the caller's setup is untouched."""

import json
import os
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def run_child_in_database(*, script: str, database: str, child_args: list[str], pg_url: str, keep: bool,
                          benchmark: str) -> None:
    """Create `database` if needed, run `script --child *child_args` with DATABASE_URL pointing at it, print the
    child's last line (its JSON), and drop the database afterwards unless `keep`."""
    import psycopg

    bench_url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{database}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="hopnhat-bench-") as var_dir:
            out = subprocess.run([sys.executable, script, "--child", *child_args],
                                 env={**os.environ, "HOPNHAT_VAR_DIR": var_dir, "DATABASE_URL": bench_url},
                                 cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode:
            print(json.dumps({"benchmark": benchmark, "error": out.stderr.strip().splitlines()[-5:]},
                             ensure_ascii=False))
            sys.exit(1)
        print(out.stdout.strip().splitlines()[-1])
    finally:
        if not keep:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}"')


def django_with_dossiers(n: int, build) -> dict:
    """In a child: configure Django, and build the dossier data set with `build(n)` unless a set of exactly `n`
    dossiers is already there (a --keep database from an earlier run). Returns what `build` reported, or {}."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.db import connection

    from hopnhat.dossiers.models import Dossier

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('dossiers_dossier') IS NOT NULL")
        exists = cur.fetchone()[0]
    return build(n) if not exists or Dossier.objects.count() != n else {}
