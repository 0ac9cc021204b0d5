"""As-merged series on PostgreSQL: N monthly data values of old wards (2023-01 … 2025-06) and new wards (2025-07 …
2025-12) over the national unit graph; times `reports.series.as_merged_area` for one new province over 36 months
(p50/p95/p99 over --samples random provinces), for all 34 provinces in one go, and beside them, on the same
provinces in the same run, a plain SQL GROUP BY period over the same rows (the named baseline) and a bare count of
them (the storage floor: the time just to read those rows); ratios to both. Checks the SQL series against the
Python reference (`as_merged_area_reference`) on --check provinces, and reports the plan of the largest province
(index-only scan, heap fetches). Prints one JSON line. A --keep database is reused when it holds the same N.

    flock /tmp/hopnhat-bench.lock .venv/bin/python bench/reports_series.py --n 300000 --samples 50
    … --n 10000000   (the issue's size: ~31 indicators × 10,700 old wards × 30 months + 3,321 new wards × 6)
"""

import argparse
import datetime
import json
import os
import random
import statistics
import time
from decimal import Decimal

from harness import DEFAULT_PG, bulk_load, run_child_in_database

BENCH_DB = "bench_hopnhat_reports"
OLD_MONTHS, NEW_MONTHS = 30, 6


def _pct(values, q):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _summary(values):
    return {"p50_ms": _pct(values, 0.5), "p95_ms": _pct(values, 0.95), "p99_ms": _pct(values, 0.99),
            "max_ms": round(max(values), 3), "mean_ms": round(statistics.fmean(values), 3), "samples": len(values)}


def _label(n: int) -> str:
    return f"bench: reports_series n={n}, complete"


def _build(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from hopnhat.org.models import AdminUnit, Level, Vintage
    from hopnhat.org.units_load import load_national_units
    from hopnhat.reports.models import Indicator

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT obj_description('reports_datavalue'::regclass, 'pg_class')")
        if cur.fetchone()[0] == _label(n):
            return {"reused": True}
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
        cur.execute(f"COMMENT ON TABLE reports_datavalue IS '{_label(n)}'")
    timings |= {"indicators": indicators, "old_wards": old, "new_wards": new,
                "build_seconds": round(time.perf_counter() - started, 1)}
    return timings


def child(n: int, samples: int, check: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.db import connection

    from hopnhat.org.models import AdminUnit, Level, UnitSuccession, Vintage
    from hopnhat.reports import series
    from hopnhat.reports.models import Indicator

    built = _build(n)
    provinces = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE).order_by("code"))
    indicator = Indicator.objects.order_by("code").first()
    rng = random.Random(16)
    start, end = datetime.date(2023, 1, 1), datetime.date(2025, 12, 31)

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return (time.perf_counter() - t) * 1000, out

    def units_of(province):
        wards = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD, province=province)
                     .values_list("pk", flat=True))
        preds = list(UnitSuccession.objects.filter(successor_id__in=wards, predecessor__level=Level.WARD)
                     .values_list("predecessor_id", flat=True).distinct())
        return wards + preds

    same_rows = ("FROM reports_datavalue WHERE indicator_id = %s AND unit_id = ANY(%s) AND is_current "
                 "AND disaggregation = '' AND period_start >= %s AND period_end <= %s")

    def group_by(ids):
        with connection.cursor() as cur:
            cur.execute(f"SELECT period, sum(value) {same_rows} GROUP BY period", [indicator.pk, ids, start, end])
            return cur.fetchall()

    def floor(ids):
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) {same_rows}", [indicator.pk, ids, start, end])
            return cur.fetchone()[0]

    with connection.cursor() as cur:   # staff-entered population shares on every other split edge, equal elsewhere
        cur.execute("DELETE FROM reports_apportionmentweight")
        cur.execute("""INSERT INTO reports_apportionmentweight (edge_id, weight, method, note)
                       SELECT id, 0.25 + (id % 50) / 100.0, 'population', 'bench' FROM org_unitsuccession
                       WHERE kind = 'partial' AND id % 2 = 0""")
        weights = cur.rowcount
    series.as_merged_area(indicator, provinces[0], 2023, 2025)   # warm
    one, sql, read, rows, per_ward = [], [], [], [], []
    for _ in range(samples):
        province = rng.choice(provinces)
        ids = units_of(province)
        # the three in turn on the same province, so the machine's load falls on all of them alike
        ms, points = timed(lambda p=province: series.as_merged_area(indicator, p, 2023, 2025))
        one.append(ms)
        assert len(points) == OLD_MONTHS + NEW_MONTHS, (province.name, len(points))
        sql.append(timed(lambda ids=ids: group_by(ids))[0])
        ms, count = timed(lambda ids=ids: floor(ids))
        read.append(ms)
        rows.append(count)
        # the per-ward statement (averages; periods where a new ward's own figure meets its predecessors')
        per_ward.append(timed(lambda p=province: series.area_figures([indicator], p, 2023, 2025, per_ward=True))[0])
    all_ms, _ = timed(lambda: [series.as_merged_area(indicator, p, 2023, 2025) for p in provinces])
    all_sql, _ = timed(lambda: [group_by(units_of(p)) for p in provinces])
    checked = []
    for province in rng.sample(provinces, check):
        got = series.as_merged_area(indicator, province, 2023, 2025)
        want = series.as_merged_area_reference(indicator, province, 2023, 2025)
        assert [(p.period, p.estimated, p.methods, p.reported_by) for p in got] == \
            [(p.period, p.estimated, p.methods, p.reported_by) for p in want], province.name
        assert all(abs(g.value - w.value) <= Decimal("1e-9") * max(1, abs(w.value))
                   for g, w in zip(got, want, strict=True)), province.name
        checked.append(province.name)
    largest = max(provinces, key=lambda p: len(units_of(p)))
    plan = _plan(series, indicator, largest)
    one_s, sql_s, read_s = _summary(one), _summary(sql), _summary(read)
    print(json.dumps({
        "benchmark": "reports_series", "n": n, "build": built,
        "one_province_as_merged": one_s, "one_province_sql_group_by": sql_s, "one_province_read_floor": read_s,
        "one_province_per_ward_statement": _summary(per_ward), "apportionment_weights_entered": weights,
        "rows_per_province": {"p50": _pct(rows, 0.5), "max": max(rows)},
        "ratio_as_merged_to_group_by": {k: round(one_s[k] / sql_s[k], 2) for k in ("p50_ms", "p95_ms")},
        "ratio_as_merged_to_read_floor": {k: round(one_s[k] / read_s[k], 2) for k in ("p50_ms", "p95_ms")},
        "target_p95_ms": 200, "target_met": one_s["p95_ms"] <= 200,
        "all_34_provinces_ms": round(all_ms, 1), "all_34_provinces_group_by_ms": round(all_sql, 1),
        "provinces": len(provinces), "checked_against_reference": checked, "largest_province_plan": plan,
        "load_average": os.getloadavg()}, ensure_ascii=False))


def _plan(series, indicator, province) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the series' statement for one province: its time, whether the figures came
    from the index alone, and how many heap pages it still had to visit."""
    from django.db import connection

    from hopnhat.org.models import Level, Vintage

    params = [province.pk, Vintage.NEW.value, Level.WARD.value, province.pk, Vintage.NEW.value, Level.WARD.value,
              Level.WARD.value, Level.WARD.value, indicator.pk, True, "", datetime.date(2023, 1, 1),
              datetime.date(2025, 12, 31)]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + series._sql(series._FAST_SQL, 1, False), params)
        doc = cur.fetchone()[0]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    nodes, stack = [], [doc[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    scans = [x for x in nodes if x.get("Relation Name") == "reports_datavalue"]
    return {"province": province.name, "execution_ms": round(doc[0]["Execution Time"], 1),
            "figures_scan": sorted({x["Node Type"] + " using " + x.get("Index Name", "-") for x in scans}),
            "heap_fetches": sum(x.get("Heap Fetches", 0) for x in scans),
            "shared_hit": doc[0]["Plan"].get("Shared Hit Blocks"),
            "shared_read": doc[0]["Plan"].get("Shared Read Blocks")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=10_000_000, help="data values (monthly, ward level)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--check", type=int, default=2, help="provinces checked against the Python reference")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=BENCH_DB)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.samples, args.check)
        return
    run_child_in_database(script=__file__, database=args.db, pg_url=args.pg, keep=args.keep,
                          benchmark="reports_series",
                          child_args=["--n", str(args.n), "--samples", str(args.samples), "--check", str(args.check)])


if __name__ == "__main__":
    main()
