"""Look-up of a dossier by any code it ever had (new national code or old-system code) on PostgreSQL, next to a
plain primary-key look-up on the same table in the same run.

    .venv/bin/python bench/dossiers_lookup.py [--n 5000000] [--samples 2000] [--keep]
        [--pg postgres://postgres@127.0.0.1:5432/postgres]

Builds a database of N dossiers (each with its own code and one old-system alias: 2N aliases) and 5N history
events with generate_series, then times, for random dossiers: Dossier by primary key; lookup.find(new code);
lookup.find(old code); and the public answer (find + describe with the timeline). Prints one JSON document.
Target: p99 of find ≤ 10 ms. The database is dropped afterwards unless --keep (then reused when the size matches).
"""

import argparse
import json
import random
import statistics
import time

from harness import DEFAULT_PG, django_with_dossiers, run_child_in_database

BENCH_DB = "bench_hopnhat_dossiers"
AGENCIES = 200


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _summary(values: list[float]) -> dict:
    return {"p50_ms": _pct(values, 0.50), "p99_ms": _pct(values, 0.99), "max_ms": round(max(values), 3),
            "mean_ms": round(statistics.fmean(values), 3)}


def _build(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from hopnhat.dossiers.models import Procedure
    from hopnhat.org.models import Agency

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    Procedure.objects.create(code="1.004227.000.00.00.H26", name="Đăng ký biến động quyền sử dụng đất",
                             field_name="Đất đai", processing_days=10)
    Agency.objects.bulk_create(Agency(code=f"000.{i // 100:02d}.{i % 100:02d}.H26", name=f"UBND phường số {i}")
                               for i in range(AGENCIES))
    timings = {"migrate_seconds": round(time.perf_counter() - started, 1)}
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM org_agency")
        first_agency = cur.fetchone()[0]
        cur.execute("SELECT id FROM dossiers_procedure")
        procedure = cur.fetchone()[0]
        # dossier g: agency g % A, day and number from g // A, so (agency, day, number) never repeats
        steps = [
            ("dossiers", f"""
                INSERT INTO dossiers_dossier (id, code, procedure_id, summary, channel, applicant_name,
                    applicant_id_hash, phone_tail_hash, applicant_address, receiving_agency_id, agency_id, status,
                    received_at, due_date, finished_at, returned_at, result)
                SELECT g, a.code || '-' || to_char(date '2023-01-01' + (g / {AGENCIES}) / 9000, 'YYMMDD') || '-'
                         || lpad(((g / {AGENCIES}) % 9000 + 1)::text, 4, '0'),
                       {procedure}, 'Đăng ký biến động', 1, 'Nguyễn Văn ' || g, '', md5(g::text), '',
                       a.id, a.id, g % 10 + 1, timestamptz '2023-01-01 08:00+07' + (g / {AGENCIES}) * interval '1 s',
                       date '2023-01-20', NULL, NULL, ''
                FROM generate_series(1, {n}) g JOIN org_agency a ON a.id = {first_agency} + g % {AGENCIES}"""),
            ("aliases", """
                INSERT INTO dossiers_dossieralias (code, dossier_id, source_system)
                SELECT code, id, 'hopnhat' FROM dossiers_dossier
                UNION ALL
                SELECT 'MC-' || lpad(id::text, 9, '0'), id, 'motcua-cu' FROM dossiers_dossier"""),
            ("events", f"""
                INSERT INTO dossiers_dossierevent (dossier_id, at, actor, actor_title, agency_id, agency_name,
                    action, status_from, status_to, note, attachments, source_system, source_key)
                SELECT (e - 1) / 5 + 1, timestamptz '2023-01-01 08:00+07' + e * interval '1 s', 'can.bo', '',
                       NULL, 'UBND phường', 'process', 2, 4, '', '[]', 'hopnhat', ''
                FROM generate_series(1, {5 * n}) e"""),
        ]
        for name, sql in steps:
            t = time.perf_counter()
            cur.execute(sql)
            timings[f"{name}_seconds"] = round(time.perf_counter() - t, 1)
        cur.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), %s)", [n])
        t = time.perf_counter()
        cur.execute("ANALYZE dossiers_dossier; ANALYZE dossiers_dossieralias; ANALYZE dossiers_dossierevent")
        timings["analyze_seconds"] = round(time.perf_counter() - t, 1)
    return timings


def child(n: int, samples: int) -> None:
    built = django_with_dossiers(n, _build)
    from django.db import connection

    from hopnhat.dossiers import lookup
    from hopnhat.dossiers.models import Dossier, DossierAlias, DossierEvent

    rng = random.Random(20250701)
    ids = [rng.randint(1, n) for _ in range(samples)]
    codes = dict(Dossier.objects.filter(pk__in=ids).values_list("pk", "code"))
    timings: dict[str, list[float]] = {"pk": [], "find_new_code": [], "find_old_code": [], "public_answer": []}

    def timed(name, fn):
        t = time.perf_counter()
        result = fn()
        timings[name].append((time.perf_counter() - t) * 1000)
        return result

    for warm in (True, False):
        for i in (ids[:200] if warm else ids):
            timed("pk", lambda i=i: Dossier.objects.get(pk=i))
            [a] = timed("find_new_code", lambda i=i: lookup.find(codes[i]))
            [b] = timed("find_old_code", lambda i=i: lookup.find(f"MC-{i:09d}"))
            assert a.pk == b.pk == i
            timed("public_answer", lambda i=i: lookup.describe(lookup.find(codes[i])[0]))
        if warm:
            timings = {k: [] for k in timings}
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    result = {
        "benchmark": "dossiers_lookup", "vendor": connection.vendor, "server": version, "n_dossiers": n,
        "n_aliases": DossierAlias.objects.count(), "n_events": DossierEvent.objects.count(), "database_size": size,
        "samples": samples, "build": built or "reused",
        "results": {name: _summary(values) for name, values in timings.items()},
        "target": {"find_p99_ms": 10},
    }
    result["target"]["met"] = max(result["results"]["find_new_code"]["p99_ms"],
                                  result["results"]["find_old_code"]["p99_ms"]) <= 10
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=5_000_000, help="dossiers (events: 5 per dossier)")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.samples)
        return
    run_child_in_database(script=__file__, database=BENCH_DB, pg_url=args.pg, keep=args.keep,
                          benchmark="dossiers_lookup",
                          child_args=["--n", str(args.n), "--samples", str(args.samples)])


if __name__ == "__main__":
    main()
