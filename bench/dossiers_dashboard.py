"""The staff dashboard (on time / late per agency) and the first worklist page on PostgreSQL, at a province's size.

    .venv/bin/python bench/dossiers_dashboard.py [--n 1000000] [--repeat 20] [--keep] [--db NAME]
        [--pg postgres://postgres@127.0.0.1:5432/postgres]

Builds N dossiers over 200 ward agencies under one city agency with generate_series: every status, due dates
10 days after reception, decided ones finished 0–14 days after it (so some late). Then times, for the city's
unit administrator (every agency) and for one ward official: dashboard.counts_by_agency, and the first page
(50 rows) of worklist.worklist, plain and overdue-only. Prints one JSON document; targets: dashboard ≤ 2 s for the
whole city, ≤ 200 ms for one ward; worklist page ≤ 200 ms. The database is dropped afterwards unless --keep.
"""

import argparse
import json
import statistics
import time

from harness import DEFAULT_PG, bulk_load, django_with_dossiers, mark_built, run_child_in_database

BENCH_DB = "bench_hopnhat_dashboard"
AGENCIES = 200


def _build(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from hopnhat.dossiers.models import Procedure
    from hopnhat.org.models import Agency

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    Procedure.objects.create(code="1.004227.000.00.00.H26", name="Đăng ký biến động quyền sử dụng đất",
                             field_name="Đất đai", processing_days=10)
    city = Agency.objects.create(code="000.00.00.H26", name="UBND Thành phố Hà Nội")
    for i in range(AGENCIES):   # save() keeps the subtree path the scope filter relies on
        Agency.objects.create(code=f"000.{i // 100:02d}.{i % 100 + 1:02d}.H26", name=f"UBND phường số {i}",
                              parent=city)
    timings = {"setup_seconds": round(time.perf_counter() - started, 1)}
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM org_agency WHERE parent_id IS NOT NULL")
        first = cur.fetchone()[0]
        cur.execute("SELECT id FROM dossiers_procedure")
        procedure = cur.fetchone()[0]
        # every status (g % 10 + 1); one dossier received every 40 s from 1/1/2024, due 14 days later; closed
        # ones finished g % 17 days after reception, so those of day 15 and 16 are late
        timings |= bulk_load(cur, ["dossiers_dossier"], [("dossiers", f"""
            INSERT INTO dossiers_dossier (id, code, procedure_id, summary, channel, applicant_name,
                applicant_id_hash, phone_tail_hash, applicant_address, receiving_agency_id, agency_id, status,
                received_at, due_date, finished_at, returned_at, result)
            SELECT g, 'B-' || g, {procedure}, '', 1, 'Nguyễn Văn ' || g, '', '', '', a, a, g % 10 + 1, r,
                   (r AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 14,
                   CASE WHEN g % 10 + 1 IN (3, 7, 8, 9, 10) THEN r + (g % 17) * interval '1 day' END, NULL, ''
            FROM (SELECT g, {first} + g % {AGENCIES} AS a,
                         timestamptz '2024-01-01 08:00+07' + (g * interval '40 s') AS r
                  FROM generate_series(1, {n}) g) s""")])
        cur.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), %s)", [n])
        mark_built(cur, n)
    return timings


def _ms(fn, repeat: int) -> dict:
    fn()   # warm
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "max_ms": round(max(runs), 1)}


def child(n: int, repeat: int) -> None:
    built = django_with_dossiers(n, _build)
    import datetime

    from django.contrib.auth.models import User
    from django.db import connection

    from hopnhat.dossiers import dashboard, worklist
    from hopnhat.org.models import Agency, Role, RoleAssignment

    city = Agency.objects.get(code="000.00.00.H26")
    ward = Agency.objects.filter(parent=city).order_by("pk").first()
    admin = User.objects.get_or_create(username="bench.city")[0]
    RoleAssignment.objects.get_or_create(user=admin, role=Role.UNIT_ADMIN, agency=city)
    official = User.objects.get_or_create(username="bench.ward")[0]
    RoleAssignment.objects.get_or_create(user=official, role=Role.OFFICIAL, agency=ward)
    today = datetime.date(2025, 3, 1)
    counts = dashboard.counts_by_agency(admin, today=today)
    results = {}
    for who, user in (("city", admin), ("ward", official)):
        results[f"dashboard_{who}"] = _ms(lambda u=user: dashboard.counts_by_agency(u, today=today), repeat)
        results[f"worklist_page_{who}"] = _ms(
            lambda u=user: list(worklist.worklist(u, today=today)[:50]), repeat)
        results[f"worklist_overdue_page_{who}"] = _ms(
            lambda u=user: list(worklist.worklist(u, overdue=True, today=today)[:50]), repeat)
    result = {
        "benchmark": "dossiers_dashboard", "vendor": connection.vendor, "n_dossiers": n, "agencies": AGENCIES,
        "repeat": repeat, "build": built or "reused", "today": today.isoformat(),
        "city_total": counts["total"], "results": results,
        "target": {"dashboard_city_ms": 2000, "dashboard_ward_ms": 200, "worklist_page_ms": 200},
    }
    result["target"]["met"] = (results["dashboard_city"]["median_ms"] <= 2000
                               and results["dashboard_ward"]["median_ms"] <= 200
                               and all(v["median_ms"] <= 200 for k, v in results.items() if k.startswith("worklist")))
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=BENCH_DB, help="name of the benchmark database")
    args = parser.parse_args()
    if args.child:
        child(args.n, args.repeat)
        return
    run_child_in_database(script=__file__, database=args.db, pg_url=args.pg, keep=args.keep,
                          benchmark="dossiers_dashboard",
                          child_args=["--n", str(args.n), "--repeat", str(args.repeat)])


if __name__ == "__main__":
    main()
