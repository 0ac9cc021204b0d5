"""As-merged series on PostgreSQL: N monthly data values of old wards (2023-01 … 2025-06) and new wards (2025-07 …
2025-12) over the national unit graph; times `reports.series.as_merged_area` for one new province over 36 months
(p50/p95/p99 over --samples random provinces), for all 34 provinces in one go, and beside them a plain SQL
GROUP BY period over the same rows. Prints one JSON line.

    flock /tmp/hopnhat-bench.lock .venv/bin/python bench/reports_series.py --n 300000 --samples 50
    … --n 10000000   (the issue's size: ~31 indicators × 10,700 old wards × 30 months + 3,321 new wards × 6)
"""

import argparse
import json
import os
import random
import statistics
import time

from harness import DEFAULT_PG, bulk_load, run_child_in_database

BENCH_DB = "bench_hopnhat_reports"
OLD_MONTHS, NEW_MONTHS = 30, 6


def _pct(values, q):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _summary(values):
    return {"p50_ms": _pct(values, 0.5), "p95_ms": _pct(values, 0.95), "p99_ms": _pct(values, 0.99),
            "max_ms": round(max(values), 3), "mean_ms": round(statistics.fmean(values), 3), "samples": len(values)}


def _build(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from hopnhat.org.models import AdminUnit, Level, Vintage
    from hopnhat.org.units_load import load_national_units
    from hopnhat.reports.models import Indicator

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not AdminUnit.objects.exists():
        load_national_units()
    timings = {"migrate_and_units_seconds": round(time.perf_counter() - started, 1)}
    with connection.cursor() as cur:   # a --keep database from an earlier run: its values and indicators go
        cur.execute("TRUNCATE reports_datavalue CASCADE")
    Indicator.objects.filter(code__startswith="BM").delete()
    old = AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.WARD).count()
    new = AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD).count()
    per_indicator = old * OLD_MONTHS + new * NEW_MONTHS
    indicators = max(1, min(100, round(n / per_indicator)))
    Indicator.objects.bulk_create(Indicator(code=f"BM{i:03d}", name=f"Chỉ tiêu {i}") for i in range(indicators))
    month = "to_char(m, 'YYYY\"M\"MM')"
    select = f"""
        SELECT i.id, u.id, {month}, 'M', m::date, (m + interval '1 month' - interval '1 day')::date, '',
               (u.id %% 97 + i.id %% 13 + extract(month from m))::numeric, 'bench', true, now()
        FROM reports_indicator i CROSS JOIN org_adminunit u CROSS JOIN generate_series(%s::date, %s::date,
             interval '1 month') m WHERE u.vintage = %s AND u.level = 'ward'"""
    cols = ("indicator_id, unit_id, period, period_kind, period_start, period_end, disaggregation, value, source, "
            "is_current, created_at")
    with connection.cursor() as cur:
        insert = f"INSERT INTO reports_datavalue ({cols}) {select}"
        steps = [("old_wards", cur.mogrify(insert, ["2023-01-01", "2025-06-01", Vintage.OLD.value])),
                 ("new_wards", cur.mogrify(insert, ["2025-07-01", "2025-12-01", Vintage.NEW.value]))]
        timings |= bulk_load(cur, ["reports_datavalue"], steps)
        cur.execute("SELECT count(*) FROM reports_datavalue")
        timings["values"] = cur.fetchone()[0]
    timings |= {"indicators": indicators, "old_wards": old, "new_wards": new,
                "build_seconds": round(time.perf_counter() - started, 1)}
    return timings


def child(n: int, samples: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.db import connection

    from hopnhat.org.models import AdminUnit, Level, UnitSuccession, Vintage
    from hopnhat.reports import series
    from hopnhat.reports.models import Indicator

    built = _build(n)
    provinces = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE))
    indicator = Indicator.objects.order_by("code").first()
    rng = random.Random(16)

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return (time.perf_counter() - t) * 1000, out

    series.as_merged_area(indicator, provinces[0], 2023, 2025)   # warm
    one, sql = [], []
    for _ in range(samples):
        province = rng.choice(provinces)
        ms, points = timed(lambda p=province: series.as_merged_area(indicator, p, 2023, 2025))
        one.append(ms)
        assert len(points) == OLD_MONTHS + NEW_MONTHS, (province.name, len(points))
        wards = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD, province=province)
                     .values_list("pk", flat=True))
        preds = list(UnitSuccession.objects.filter(successor_id__in=wards, predecessor__level=Level.WARD)
                     .values_list("predecessor_id", flat=True).distinct())

        def group_by(ids=wards + preds):
            with connection.cursor() as cur:
                cur.execute("SELECT period, sum(value) FROM reports_datavalue WHERE indicator_id = %s AND "
                            "unit_id = ANY(%s) AND is_current GROUP BY period", [indicator.pk, ids])
                return cur.fetchall()
        sql.append(timed(group_by)[0])
    all_ms, _ = timed(lambda: [series.as_merged_area(indicator, p, 2023, 2025) for p in provinces])
    print(json.dumps({"benchmark": "reports_series", "n": n, "build": built,
                      "one_province_as_merged": _summary(one), "one_province_sql_group_by": _summary(sql),
                      "all_34_provinces_ms": round(all_ms, 1), "provinces": len(provinces)}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=10_000_000, help="data values (monthly, ward level)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=BENCH_DB)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.samples)
        return
    run_child_in_database(script=__file__, database=args.db, pg_url=args.pg, keep=args.keep,
                          benchmark="reports_series", child_args=["--n", str(args.n), "--samples", str(args.samples)])


if __name__ == "__main__":
    main()
