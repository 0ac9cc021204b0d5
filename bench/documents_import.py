"""Import throughput of the one document system: an old document system shaped like the tests' Hà Giang one
(samples.write_hagiang: `vanban` with incoming and outgoing documents, `vanban_xuly` processing history,
`vanban_tep` attachments as paths on disk) with N documents, 5N history rows and N/10 attachments, from MariaDB
into PostgreSQL through the consolidation engine (documents.document, documents.attachment, documents.history;
staging, provenance, per-field reconciliation), next to the engine benchmark's plain-copy baseline and storage
floor in the same run (engine_throughput.baseline / storage_floor, reused, not copied).

    .venv/bin/python bench/documents_import.py [--documents 50000] [--batch 2000] [--keep] [--db NAME]
        [--pg postgres://postgres@127.0.0.1:5432/postgres] [--profile]

The old rows are made in MariaDB with INSERT … SELECT over its sequence tables (seconds for millions), messy as
the real ones: numbers typed in several forms ("15/QĐ-UBND", "15 /QĐ-UBND", "Số 15/QĐ-UBND"), 1 % registered
twice, 2 % of the incoming ones sent by the old UBND itself (one document, two sides, an exchange), issuers the
platform knows and ministries it does not; every attachment a distinct real PDF (text extracted for search), 2 %
of them missing on disk. Prints one JSON document: per stream the engine's rows/s and the baseline's, their ratios,
the storage floor of the tables the importers write (staging, provenance, documents, entries, numbers, events,
attachments, blobs) and `engine_vs_floor`, where the time went (importer / reconciliation), peak RSS, and whether
every run balanced. --profile writes a pyinstrument profile of each stream to var/ (HTML and text). Both databases are
dropped afterwards unless --keep.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import engine_throughput
import harness
from dossiers_import import _elt
from engine_throughput import GIVEN, MARIADB, MIDDLE, SURNAMES, drop_source, peak_rss_mb
from harness import DEFAULT_PG, run_child_in_database

BENCH_DB = "bench_hopnhat_docimport"
SOURCE_URL = "mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4"
EVENTS = 5
FILES_EVERY = 10
# incoming documents' issuers as the văn thư typed them: the first ones the platform resolves, the rest not
ISSUERS = [("UBND tỉnh Tuyên Quang", "UBND"), ("Sở Nội vụ tỉnh Tuyên Quang", "SNV"), ("Bộ Nội vụ", "BNV"),
           ("Bộ Tài chính", "BTC"), ("Văn phòng Chính phủ", "VPCP"), ("Bộ Kế hoạch và Đầu tư", "BKHĐT"),
           ("Tỉnh ủy Hà Giang", "TU"), ("Bộ Công an", "BCA")]
TYPES = ["QĐ", "TB", "KH", "BC"]
FIELDS = ["Tổ chức bộ máy", "Công chức, viên chức", "Tài chính", "Đất đai", "Chuyển đổi số", ""]
SUBJECTS = ["V/v phối hợp chuẩn bị hợp nhất tỉnh", "Báo cáo kết quả sắp xếp đơn vị hành chính cấp xã",
            "Kế hoạch chuyển đổi số năm 2025", "V/v giao chỉ tiêu biên chế công chức",
            "Thông báo kết luận về sắp xếp tổ chức bộ máy", "V/v bàn giao hồ sơ, tài liệu khi kết thúc cấp huyện"]
STEPS = ["Vào sổ", "Phân công", "Cho ý kiến", "Chỉ đạo", "Hoàn thành"]
OUT_STEPS = ["Soạn thảo", "Cho ý kiến", "Ký ban hành", "Phát hành", "Hoàn thành"]


def _doc_sql(i: str) -> dict[str, str]:
    """Document `i` (an SQL expression): outgoing when i % 4 = 0 (the old UBND or Sở Nội vụ), else incoming.
    Registered twice: i % 100 = 6 repeats i - 4 (the same unit's incoming document: its số/ký hiệu and issuer,
    the next day, the next register number). Sent inside the old province: i % 100 = 3 is Sở Nội vụ's incoming
    copy of outgoing document i - 3 (one document, two sides)."""
    base = f"(CASE WHEN {i} % 100 = 6 THEN {i} - 4 WHEN {i} % 100 = 3 THEN {i} - 3 ELSE {i} END)"
    outgoing = f"({base} % 4 = 0)"
    issuer = f"({base} DIV 4) % {len(ISSUERS)}"
    typ = _elt(f"({base} DIV 32) % {len(TYPES)}", TYPES)
    number = f"CAST(IF({base} % 4 = 0, {base} DIV 4 + 1, {base}) AS CHAR)"   # outgoing: the unit's own series
    own_unit = f"IF(({base} DIV 8) % 2 = 0, 'UBND', 'SNV')"
    notation = (f"IF({outgoing}, CONCAT({own_unit}, '-', IF(({base} DIV 8) % 2 = 0, 'VP', 'CCVC')), "
                f"CONCAT({typ}, '-', {_elt(issuer, [abbr for _, abbr in ISSUERS])}))")
    typed = (f"CASE {i} % 3 WHEN 0 THEN CONCAT({number}, '/', {notation}) WHEN 1 THEN CONCAT({number}, ' /', "
             f"{notation}) ELSE CONCAT('Số ', {number}, '/', {notation}) END")
    return {"base": base, "outgoing": outgoing, "issuer": issuer, "typed": typed, "own_unit": own_unit}


def make_source(n: int, files_dir: Path) -> dict:
    """The old document database with n documents, 5n history rows and n/10 attachments (files written under
    files_dir); returns seconds per part."""
    import pymysql

    from hopnhat.documents import samples

    timings = {}
    started = time.perf_counter()
    drop_source(BENCH_DB)
    server = pymysql.connect(autocommit=True, **MARIADB)
    with server.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{BENCH_DB}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()
    samples.write_hagiang(SOURCE_URL.format(db=BENCH_DB))   # the sample system's own tables
    d = _doc_sql("seq")
    day = "(seq DIV 40)"
    conn = pymysql.connect(database=BENCH_DB, autocommit=True, **MARIADB)
    with conn.cursor() as cur:
        for table in ("vanban_tep", "vanban_xuly", "vanban"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 — our own tables
        # register numbers: one series per (unit, DEN/DI), so seq DIV 4-ish numbers never repeat in a register
        cur.execute(f"""
            INSERT INTO vanban (id, loai, so_dk, nam, so_ky_hieu, noi_ban_hanh, don_vi, do_khan, trich_yeu, nguoi_ky,
                chuc_vu, linh_vuc, noi_nhan, trang_thai, ngay_ban_hanh, ngay_den, han_xu_ly)
            SELECT seq, IF(seq % 4 = 0, 'DI', 'DEN'), seq, 2025, {d["typed"]},
                IF({d["outgoing"]}, IF(seq % 4 = 0, '', IF({d["own_unit"]} = 'UBND', 'UBND tỉnh Hà Giang',
                                                           'Sở Nội vụ tỉnh Hà Giang')),
                   {_elt(d["issuer"], [name for name, _ in ISSUERS])}),
                IF(seq % 4 = 0, CONCAT('HG-', {d["own_unit"]}), IF(seq % 2 = 0, 'HG-UBND', 'HG-SNV')),
                {_elt(f"{d['base']} % 7 DIV 5", ["Thường", "Khẩn"])},
                CONCAT({_elt(f"{d['base']} % {len(SUBJECTS)}", SUBJECTS)}, ' (', {d["base"]}, ')'),
                CONCAT({_elt(f"{d['base']} % 20", SURNAMES)}, ' ', {_elt(f"({d['base']} * 7) % 12", MIDDLE)}, ' ',
                       {_elt(f"({d['base']} * 13) % 24", GIVEN)}),
                {_elt(f"{d['base']} % 3", ["Chủ tịch", "Phó Chủ tịch", "Giám đốc"])},
                {_elt(f"{d['base']} % {len(FIELDS)}", FIELDS)},
                IF(seq % 4 = 0, 'UBND các huyện; Sở Nội vụ', ''), 'Hoàn thành',
                DATE '2025-01-02' + INTERVAL ({d["base"]} DIV 40) % 170 DAY,
                IF(seq % 4 = 0, NULL, TIMESTAMP '2025-01-03 08:00:00' + INTERVAL {day} % 170 DAY
                   + INTERVAL seq % 480 MINUTE + INTERVAL (seq % 100 = 6) DAY),
                IF(seq % 4 = 0, NULL, DATE '2025-01-15' + INTERVAL {day} % 170 DAY)
            FROM seq_1_to_{n}""")
        cur.execute(f"""
            INSERT INTO vanban_xuly (id, vanban_id, thoi_gian, nguoi_xu_ly, ma_can_bo, hanh_dong, y_kien)
            SELECT seq, (seq - 1) DIV {EVENTS} + 1,
                TIMESTAMP '2025-01-03 08:30:00' + INTERVAL ((seq - 1) DIV {EVENTS} DIV 40) % 170 DAY
                  + INTERVAL ((seq - 1) % {EVENTS}) * 3 HOUR,
                CONCAT({_elt("seq % 20", SURNAMES)}, ' ', {_elt("(seq * 7) % 12", MIDDLE)}, ' ',
                       {_elt("(seq * 13) % 24", GIVEN)}),
                CONCAT('HG', LPAD(seq % 400, 4, '0')),
                IF(((seq - 1) DIV {EVENTS} + 1) % 4 = 0, {_elt(f"(seq - 1) % {EVENTS}", OUT_STEPS)},
                   {_elt(f"(seq - 1) % {EVENTS}", STEPS)}),
                IF((seq - 1) % {EVENTS} = 1, 'Giao phòng chuyên môn chủ trì, báo cáo trước hạn', '')
            FROM seq_1_to_{EVENTS * n}""")
        cur.execute(f"""
            INSERT INTO vanban_tep (id, vanban_id, ten_tep, duong_dan)
            SELECT seq, seq * {FILES_EVERY} - 2, CONCAT('vb', seq * {FILES_EVERY} - 2, '.pdf'),
                CONCAT('2025/', LPAD(seq % 12 + 1, 2, '0'), '/vb', seq * {FILES_EVERY} - 2, '.pdf')
            FROM seq_1_to_{n // FILES_EVERY}""")
    conn.close()
    timings["rows_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    for k in range(1, n // FILES_EVERY + 1):
        if k % 50 == 25:
            continue   # missing on disk, as in the old systems
        doc = k * FILES_EVERY - 2
        path = files_dir / f"2025/{k % 12 + 1:02d}/vb{doc}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(samples.pdf_bytes(f"Văn bản số {doc}: {SUBJECTS[doc % len(SUBJECTS)]}"))
    timings["files_seconds"] = round(time.perf_counter() - started, 1)
    return timings


def _agencies() -> None:
    """The old Hà Giang UBND and Sở Nội vụ merged into Tuyên Quang's (as the tests' build_tq, without its wards)."""
    from hopnhat.org.agencies import close_agency, ensure_agency
    from hopnhat.org.models import REFORM_DATE

    def make(code, name, parent=None, short=""):
        return ensure_agency(code=code, name=name, parent=parent, short_name=short, actor="system:bench")[0]

    tq = make("000.00.00.H60", "UBND tỉnh Tuyên Quang", short="UBND")
    noivu = make("000.00.02.H60", "Sở Nội vụ tỉnh Tuyên Quang", tq, "SNV")
    hg = make("000.00.00.H22", "UBND tỉnh Hà Giang", short="UBND")
    hg_noivu = make("000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", hg, "SNV")
    close_agency(hg_noivu, reason="merged", on=REFORM_DATE, actor="system:bench", successors=[(noivu, "whole", True)])
    close_agency(hg, reason="merged", on=REFORM_DATE, actor="system:bench", successors=[(tq, "whole", True)])


def _time_stages() -> dict[str, float]:
    """Wall seconds in the importers' import_batch and in the end-of-run reconciliation (harness)."""
    from hopnhat.documents.importers import AttachmentImporter, DocumentImporter, HistoryImporter

    return harness.time_import_stages((AttachmentImporter, DocumentImporter, HistoryImporter))


FLOOR_TABLES = ["consolidation_stagedrecord", "core_provenance", "documents_document", "documents_entry",
                "documents_documentnumber", "documents_event", "documents_blob", "documents_attachment"]


def measure(n: int, batch: int, keep: bool, profile: bool) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from hopnhat.consolidation.engine import run_mapping
    from hopnhat.consolidation.mapping import Mapping
    from hopnhat.documents import samples

    spent = _time_stages()
    call_command("migrate", verbosity=0)
    _agencies()
    work = Path(tempfile.mkdtemp(prefix="hn-docimport-"))
    settings.MEDIA_ROOT = work / "media"
    source = make_source(n, work / "files")
    maps = {m["stream"]: m for m in samples.mappings(SOURCE_URL.format(db=BENCH_DB), "", work / "files", work)}
    engine = {}
    try:
        for label, stream in (("documents", "vanban"), ("attachments", "vanban_tep"), ("history", "vanban_xuly")):
            spec = maps[stream]
            mapping = Mapping.from_dict({**spec, "options": {**spec.get("options", {}), "batch_size": batch}})
            spent.clear()
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler()
                profiler.start()
            started = time.perf_counter()
            run = run_mapping(mapping, actor="system:bench")
            seconds = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                out = Path(engine_throughput.ROOT) / "var" / f"documents_import-{label}.html"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(profiler.output_html())
                out.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False))
            engine[label] = {"rows": run.totals["read"], "seconds": round(seconds, 2),
                             "rows_per_s": round(run.totals["read"] / seconds), "balanced": run.balanced,
                             "outcomes": run.totals["outcomes"],
                             "fields_compared": sorted(k for k, c in run.field_checks.items() if c["compared"]),
                             "seconds_in": {k: round(v, 2) for k, v in spent.items()},
                             "peak_rss_mb_after": round(peak_rss_mb(), 1)}
        engine_peak = peak_rss_mb()
        target_db = settings.DATABASES["default"]["NAME"]
        base = {label: engine_throughput.baseline(SOURCE_URL.format(db=BENCH_DB), target_db, table)
                for label, table in (("documents", "vanban"), ("attachments", "vanban_tep"),
                                     ("history", "vanban_xuly"))}
        connections.close_all()
        floor = engine_throughput.storage_floor(target_db, FLOOR_TABLES)
    finally:
        if not keep:
            drop_source(BENCH_DB)
    total_rows = sum(e["rows"] for e in engine.values())
    engine_seconds = sum(e["seconds"] for e in engine.values())
    base_seconds = sum(b["seconds"] for b in base.values())
    engine_rate, base_rate = total_rows / engine_seconds, total_rows / base_seconds
    return {
        "benchmark": "documents_import", "documents": n, "history_rows": EVENTS * n,
        "attachments": n // FILES_EVERY, "batch": batch, "source_setup_seconds": source,
        "engine": {**engine, "total_rows_per_s": round(engine_rate)},
        "baseline_select_copy": {**base, "total_rows_per_s": round(base_rate)},
        "storage_floor": floor,
        "ratio": {k: round(engine[k]["rows_per_s"] / base[k]["rows_per_s"], 4) for k in engine}
        | {"total": round(engine_rate / base_rate, 4)},
        # the floor against the baseline: the best ratio any engine could reach writing these tables
        "ceiling_ratio": round(floor["rows_per_s"] / base_rate, 3) if floor["rows_per_s"] else None,
        "engine_vs_floor": round(engine_rate / floor["rows_per_s"], 4) if floor["rows_per_s"] else None,
        "balanced": all(e["balanced"] for e in engine.values()),
        "peak_rss_mb": round(engine_peak, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    global BENCH_DB
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep both databases for a look afterwards")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of each stream under var/")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--db", default=BENCH_DB, help="name of both benchmark databases")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    BENCH_DB = args.db
    if args.child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
        print(json.dumps(measure(args.documents, args.batch, args.keep, args.profile), ensure_ascii=False))
        return
    run_child_in_database(script=os.path.abspath(__file__), database=BENCH_DB,
                          child_args=["--documents", str(args.documents), "--batch", str(args.batch), "--db", BENCH_DB]
                          + (["--keep"] if args.keep else []) + (["--profile"] if args.profile else []),
                          pg_url=args.pg, keep=args.keep, benchmark="documents_import")


if __name__ == "__main__":
    main()
