"""Import throughput of the one dossier system: N old one-door dossiers and 5N processing events in MariaDB →
PostgreSQL through the consolidation engine (importers dossiers.dossier, then dossiers.history, with staging,
provenance and reconciliation), against the engine benchmark's baseline in the same run: the same rows streamed
with a plain SELECT and written with PostgreSQL COPY into bare tables.

    .venv/bin/python bench/dossiers_import.py [--dossiers 1000000] [--batch 2000] [--keep] [--db NAME]
        [--pg postgres://postgres@127.0.0.1:5432/postgres]

The old tables are those of the sample one-door system (`samples.write_motcua`: hoso, hoso_xuly), filled in the
MariaDB database bench_hopnhat_dimport with INSERT … SELECT over MariaDB's sequence tables, so generating
millions of rows takes seconds; the mappings are `samples.mappings()`. Prints one JSON document: rows/s of the
engine for dossiers and for events, rows/s of the baseline, their ratios, peak RSS, whether both runs balanced,
and the sizes used. Both databases are dropped afterwards unless --keep.
"""

import argparse
import json
import os
import time
from pathlib import Path

import engine_throughput
import harness
from engine_throughput import GIVEN, MARIADB, MIDDLE, SURNAMES, drop_source, peak_rss_mb
from harness import DEFAULT_PG, run_child_in_database

BENCH_DB = "bench_hopnhat_dimport"
SOURCE_URL = "mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4"
EVENTS_PER_DOSSIER = 5
# The old system's own agency codes (the mapping turns them into mã định danh) and the wards they serve.
AGENCY_CODES = ["QBD", "PDC", "PTB"]
WARDS = ["Phường Cống Vị", "Phường Đội Cấn", "Phường Trúc Bạch"]
STREETS = ["phố Đội Cấn", "Trấn Vũ", "Phó Đức Chính", "Hoàng Hoa Thám", "Hàng Bún", "Liễu Giai", "Kim Mã",
           "Đào Tấn", "Nguyễn Thái Học", "Quán Thánh"]
# Four in five dossiers went the whole way; the fifth is still being handled after a request for papers.
DONE_STEPS = [("Tiếp nhận", "Mới tiếp nhận"), ("Chuyển xử lý", "Đang giải quyết"), ("Thụ lý", "Đang giải quyết"),
              ("Phê duyệt", "Đã có kết quả"), ("Trả kết quả", "Đã trả kết quả")]
OPEN_STEPS = [("Tiếp nhận", "Mới tiếp nhận"), ("Chuyển xử lý", "Đang giải quyết"), ("Thụ lý", "Đang giải quyết"),
              ("Yêu cầu bổ sung", "Chờ bổ sung"), ("Thụ lý", "Đang giải quyết")]
OFFICERS = ["Ngô Thị Mai", "Vũ Văn Nam", "Đinh Thị Lan", "Hà Minh Tuấn", "Lý Thu Hà", "Trịnh Quang Huy"]


def _elt(index_sql: str, values: list[str]) -> str:
    """SQL picking values[index] (0-based) — MariaDB's ELT is 1-based."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ELT(1 + ({index_sql}), {quoted})"


def _dossier_sql(i: str) -> dict[str, str]:
    """The columns of dossier number `i` (an SQL expression) that the events repeat. Dossier i: agency i % 3,
    day (i div 3) % 170 and number i div 510 + 1, so (agency, day, number) — the code — never repeats."""
    from hopnhat.dossiers.samples import MOTCUA_AGENCY

    number = f"CAST({i} DIV 510 + 1 AS CHAR)"
    received = f"(TIMESTAMP '2025-01-02 07:30:00' + INTERVAL ({i} DIV 3) % 170 DAY + INTERVAL {i} % 480 MINUTE)"
    return {
        "code": f"CONCAT({_elt(f'{i} % 3', [MOTCUA_AGENCY[a] for a in AGENCY_CODES])}, '-', "
                f"DATE_FORMAT({received}, '%y%m%d'), '-', LPAD({number}, GREATEST(4, LENGTH({number})), '0'))",
        "agency": _elt(f"{i} % 3", AGENCY_CODES), "received": received, "open": f"({i} % 5 = 0)",
    }


def make_source(n: int) -> float:
    """The old one-door database with n dossiers and 5n events; returns the seconds it took."""
    import pymysql

    from hopnhat.dossiers.samples import PROCEDURES, write_motcua

    started = time.perf_counter()
    drop_source(BENCH_DB)
    server = pymysql.connect(autocommit=True, **MARIADB)
    with server.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{BENCH_DB}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()
    # the sample system's own tables, so the sample mappings fit them as they are
    write_motcua(SOURCE_URL.format(db=BENCH_DB))
    d = _dossier_sql("seq")
    e = _dossier_sql("((seq - 1) DIV 5 + 1)")
    step = "((seq - 1) % 5)"
    conn = pymysql.connect(database=BENCH_DB, autocommit=True, **MARIADB)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM hoso_xuly")
        cur.execute("DELETE FROM hoso")
        cur.execute(f"""
            INSERT INTO hoso (ma_hoso, ma_thutuc, ten_nguoi_nop, so_cmnd, dien_thoai, dia_chi, ma_donvi,
                trang_thai, ngay_nhan, ngay_hen_tra, ngay_xong, ngay_tra, ket_qua)
            SELECT {d["code"]}, {_elt("(seq DIV 7) % 3", [p["code"] for p in PROCEDURES])},
                CONCAT({_elt("seq % 20", SURNAMES)}, ' ', {_elt("(seq * 7) % 12", MIDDLE)}, ' ',
                       {_elt("(seq * 13) % 24", GIVEN)}),
                CONCAT('001', LPAD(seq, 9, '0')), CONCAT('09', LPAD(seq % 100000000, 8, '0')),
                CONCAT('Số ', 1 + seq % 200, ' ', {_elt("seq % 10", STREETS)}, ', ', {_elt("seq % 3", WARDS)},
                       ', Quận Ba Đình, Hà Nội'),
                {d["agency"]}, IF({d["open"]}, 'Đang giải quyết', 'Đã trả kết quả'), {d["received"]},
                DATE({d["received"]} + INTERVAL 10 DAY),
                IF({d["open"]}, NULL, {d["received"]} + INTERVAL 36 HOUR),
                IF({d["open"]}, NULL, {d["received"]} + INTERVAL 48 HOUR),
                IF({d["open"]}, '', CONCAT('Kết quả số ', seq, '/2025'))
            FROM seq_1_to_{n}""")
        cur.execute(f"""
            INSERT INTO hoso_xuly (id, ma_hoso, thoi_gian, nguoi_xu_ly, chuc_vu, ma_donvi, buoc, trang_thai, ghi_chu)
            SELECT seq, {e["code"]}, {e["received"]} + INTERVAL {step} * 12 HOUR,
                {_elt(f"(seq + {step}) % 6", OFFICERS)},
                IF({step} IN (0, 4), 'Công chức một cửa', 'Chuyên viên'), {e["agency"]},
                IF({e["open"]}, {_elt(step, [s for s, _ in OPEN_STEPS])}, {_elt(step, [s for s, _ in DONE_STEPS])}),
                IF({e["open"]}, {_elt(step, [t for _, t in OPEN_STEPS])}, {_elt(step, [t for _, t in DONE_STEPS])}),
                IF({step} = 0, 'Tiếp nhận tại bộ phận một cửa', '')
            FROM seq_1_to_{EVENTS_PER_DOSSIER * n}""")
    conn.close()
    return time.perf_counter() - started


def baseline(target_db: str) -> dict:
    """Per old table: the engine benchmark's plain SELECT + COPY baseline."""
    return {label: engine_throughput.baseline(SOURCE_URL.format(db=BENCH_DB), target_db, table)
            for label, table in (("dossiers", "hoso"), ("events", "hoso_xuly"))}


def _time_stages() -> dict[str, float]:
    """Wall seconds in the importers' import_batch and in the end-of-run reconciliation (harness)."""
    from hopnhat.dossiers.importers import DossierImporter, HistoryImporter

    return harness.time_import_stages((DossierImporter, HistoryImporter))


def measure(n: int, batch: int, keep: bool) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from hopnhat.consolidation.engine import run_mapping
    from hopnhat.consolidation.mapping import Mapping
    from hopnhat.dossiers import samples

    spent = _time_stages()
    call_command("migrate", verbosity=0)
    samples.ensure_procedures()
    samples.ensure_agencies()
    source_seconds = make_source(n)
    try:
        engine = {}
        # the one-door system's two mappings, dossiers first: history finds its dossier by the old code
        for label, spec in zip(("dossiers", "events"),
                               [m for m in samples.mappings(SOURCE_URL.format(db=BENCH_DB), Path()) if m["system"] ==
                                samples.MOTCUA], strict=True):
            started = time.perf_counter()
            spent.clear()
            run = run_mapping(Mapping.from_dict({**spec, "options": {"batch_size": batch}}), actor="system:bench")
            seconds = time.perf_counter() - started
            engine[label] = {"rows": run.totals["read"], "seconds": round(seconds, 2),
                             "rows_per_s": round(run.totals["read"] / seconds), "balanced": run.balanced,
                             "outcomes": run.totals["outcomes"], "peak_rss_mb_after": round(peak_rss_mb(), 1),
                             "seconds_in": {k: round(v, 2) for k, v in spent.items()}}
        engine_peak = peak_rss_mb()
        base = baseline(settings.DATABASES["default"]["NAME"])
    finally:
        if not keep:
            drop_source(BENCH_DB)
    total_rows = sum(engine[k]["rows"] for k in engine)
    engine_rate = total_rows / sum(engine[k]["seconds"] for k in engine)
    base_rate = total_rows / sum(base[k]["seconds"] for k in base)
    return {
        "benchmark": "dossiers_import", "dossiers": n, "events": EVENTS_PER_DOSSIER * n, "batch": batch,
        "source_setup_seconds": round(source_seconds, 1),
        "engine": {**engine, "total_rows_per_s": round(engine_rate)},
        "baseline_select_copy": {**base, "total_rows_per_s": round(base_rate)},
        "ratio": {k: round(engine[k]["rows_per_s"] / base[k]["rows_per_s"], 4) for k in engine}
        | {"total": round(engine_rate / base_rate, 4)},
        "balanced": all(engine[k]["balanced"] for k in engine),
        "peak_rss_mb": round(engine_peak, 1),
    }


def main() -> None:
    global BENCH_DB
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep both databases for a look afterwards")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=BENCH_DB, help="name of both benchmark databases")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    BENCH_DB = args.db
    if args.child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
        print(json.dumps(measure(args.dossiers, args.batch, args.keep), ensure_ascii=False))
        return
    run_child_in_database(script=os.path.abspath(__file__), database=BENCH_DB,
                          child_args=["--dossiers", str(args.dossiers), "--batch", str(args.batch), "--db", BENCH_DB]
                          + (["--keep"] if args.keep else []),
                          pg_url=args.pg, keep=args.keep, benchmark="dossiers_import")


if __name__ == "__main__":
    main()
