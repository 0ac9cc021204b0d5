"""What the PostgreSQL benchmarks share: run the measuring half of a script (`--child`) in a subprocess against
its own database, so Django is configured for that database from the start and the caller's setup is untouched."""

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
# A fixed key for the keyed hashes a data set holds, so a --keep database still matches in the next run's process.
BENCH_PII_KEY = "hopnhat-benchmark-only"


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
                                 env={"HOPNHAT_PII_HASH_KEY": BENCH_PII_KEY, **os.environ, "HOPNHAT_VAR_DIR": var_dir,
                                      "DATABASE_URL": bench_url},
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


def django_with_dataset(n: int, build, *, table: str = "dossiers_dossier", what: str = "dossiers") -> dict:
    """In a child: configure Django, and build the data set with `build(n)` unless a complete set of exactly `n`
    `what` is already there (a --keep database from an earlier run: `build` is over only when mark_built has
    labelled `table`). A partial or other-sized set is dropped first. Returns what `build` reported, or {}."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT to_regclass('{table}') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute(f"SELECT obj_description('{table}'::regclass, 'pg_class')")
            if cur.fetchone()[0] == _built_label(n, what):
                return {}
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return build(n)


def django_with_dossiers(n: int, build) -> dict:
    return django_with_dataset(n, build)


def _built_label(n: int, what: str = "dossiers") -> str:
    return f"bench: {n} {what}, complete"


def mark_built(cursor, n: int, *, table: str = "dossiers_dossier", what: str = "dossiers") -> None:
    """Label the data set complete (last step of a build), so a later --keep run reuses it."""
    cursor.execute(f"COMMENT ON TABLE {table} IS '{_built_label(n, what)}'")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def summary(values: list[float]) -> dict:
    """p50 / p95 / p99 / max / mean of timings in milliseconds."""
    return {"p50_ms": percentile(values, 0.50), "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99), "max_ms": round(max(values), 3),
            "mean_ms": round(statistics.fmean(values), 3)}


class Timings:
    """Wall milliseconds per named operation, interleaved in one loop so every figure sees the same machine; with
    the garbage-collection pauses and the load average beside them (on a shared 2-core machine a p99 says as much
    about the neighbours as about the query). `measuring()` after the warm-up pass drops what came before."""

    def __init__(self, names: list[str]):
        self.names = names
        self.values: dict[str, list[float]] = {k: [] for k in names}
        self.gc_pauses: list[float] = []
        self._gc_started = 0.0
        self.load_before = os.getloadavg()

    def timed(self, name: str, fn):
        started = time.perf_counter()
        result = fn()
        self.values[name].append((time.perf_counter() - started) * 1000)
        return result

    def _on_gc(self, phase, info):
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append((time.perf_counter() - self._gc_started) * 1000)

    def measuring(self) -> None:
        self.values = {k: [] for k in self.names}
        self.load_before = os.getloadavg()
        self._cpu_wall = (time.process_time(), time.perf_counter())
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def report(self) -> dict:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        cpu, wall = self._cpu_wall
        return {
            "results": {name: summary(values) for name, values in self.values.items() if values},
            "python": {"gc_pauses": len(self.gc_pauses), "gc_pause_ms_total": round(sum(self.gc_pauses), 1),
                       "gc_pause_ms_max": round(max(self.gc_pauses, default=0), 2),
                       "cpu_share_of_wall": round((time.process_time() - cpu) / (time.perf_counter() - wall), 2)},
            "load_average": {"before": [round(x, 2) for x in self.load_before],
                             "after": [round(x, 2) for x in os.getloadavg()]},
        }


def plan_nodes(node: dict):
    """The node types of an EXPLAIN (FORMAT JSON) plan, with the index each scan uses, depth first."""
    yield f"{node['Node Type']}{' on ' + node['Index Name'] if 'Index Name' in node else ''}"
    for sub in node.get("Plans", []):
        yield from plan_nodes(sub)


def bulk_load(cursor, tables: list[str], steps: list[tuple[str, str]], *, unlogged: tuple[str, ...] = ()) -> dict:
    """Run the INSERT … SELECT `steps` into `tables` the fast way: every index and constraint but the primary key
    dropped first and rebuilt after the load (one sorted build each instead of millions of index inserts and
    foreign-key checks), `unlogged` tables written without WAL (a benchmark copy: never for real data), then
    VACUUM ANALYZE. Returns seconds per step."""
    timings = {}
    cursor.execute("SET maintenance_work_mem = '1GB'")
    cursor.execute("""
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype <> 'p'
        ORDER BY c.contype = 'f'""", [tables])
    constraints = cursor.fetchall()
    cursor.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""", [tables])
    indexes = cursor.fetchall()
    for table, name, _ in reversed(constraints):
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    for table in unlogged:
        cursor.execute(f"ALTER TABLE {table} SET UNLOGGED")
    for name, sql in steps:
        t = time.perf_counter()
        cursor.execute(sql)
        timings[f"{name}_seconds"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    for _, sql in indexes:
        cursor.execute(sql)
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    timings["indexes_seconds"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    # the whole database: the small tables made just before the load need statistics too (a planner that
    # thinks the agency table is empty picks a nested loop over a million random heap reads), and the
    # visibility map lets index-only scans skip the heap, as on a server where autovacuum has run
    cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_seconds"] = round(time.perf_counter() - t, 1)
    return timings


def time_import_stages(importer_classes) -> dict[str, float]:
    """Wall seconds spent in the given domain importers' import_batch and in the engine's end-of-run
    reconciliation, so a slow import benchmark says whose code it waits on. Returns the dict the wrappers add to."""
    from hopnhat.consolidation import reconciliation

    spent: dict[str, float] = {}

    def timed(label, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    from hopnhat.consolidation.api import DomainImporter

    for cls in importer_classes:
        # Wrap the method the engine calls: wrapping an inherited import_batch would make the engine take the
        # importer for a batch one and drop its savepoint per record, so the benchmark would measure another path.
        if cls.import_batch is DomainImporter.import_batch:
            cls.import_record = timed("importer", cls.import_record)
        else:
            cls.import_batch = timed("importer", cls.import_batch)
    reconciliation.reconcile_run = timed("reconciliation", reconciliation.reconcile_run)
    return spent


def lookup_benchmark_main(*, script: str, description: str, benchmark: str, child, default_n: int,
                          default_samples: int, default_db: str, rows_help: str) -> None:
    """The command line every look-up benchmark shares: the parent makes (or reuses) the benchmark database and runs
    the same script as `--child` inside it, which builds the rows and measures."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=default_n, help=rows_help)
    parser.add_argument("--samples", type=int, default=default_samples)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=default_db, help="name of the benchmark database")
    args = parser.parse_args()
    if args.child:
        child(args.n, args.samples)
        return
    run_child_in_database(script=script, database=args.db, pg_url=args.pg, keep=args.keep, benchmark=benchmark,
                          child_args=["--n", str(args.n), "--samples", str(args.samples)])
