"""Throughput and memory of the migration engine: N old HR rows in MariaDB → PostgreSQL, through staging,
provenance and reconciliation (org.people importer), against a baseline in the same run: the same rows
streamed with a plain SELECT and written with PostgreSQL COPY into a bare table.

    .venv/bin/python bench/engine_throughput.py [--rows 1000000] [--batch 2000] [--thread-reader]

Prints one JSON document: rows/s of both, their ratio, peak RSS after 100k rows and at the end (and the current
RSS along the way, to show it stays flat), and the CPU seconds of the engine's Python process and of its
PostgreSQL backend (on a shared machine the wall clock alone hides where the time went). Then the storage
floor: the rows the engine wrote, inserted again inside PostgreSQL into empty tables with the same indexes and
foreign keys; `ceiling_ratio` (floor / baseline) is the best ratio any engine writing this data model could
reach, `engine_vs_floor` how close this one comes.
Targets: ratio ≥ 0.3, peak RSS < 300 MB and flat. `cpu_budget` turns the ratio target into processor time on
this machine and sets it against what reading the rows (the baseline) and holding them (the floor) already cost.
Source and target databases are created for the run (hn_engine_bench_*) and dropped after it.
"""

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MARIADB = {"host": "127.0.0.1", "user": "root", "password": "", "charset": "utf8mb4"}

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
            "Lò", "Triệu", "Giàng", "Sầm", "Nông", "Ma", "Hà"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quốc", "Thu", "Ngọc", "Xuân", "Hữu", "Thanh", "Kim", "Công"]
GIVEN = ["Hùng", "Mai", "Lan", "Sơn", "Dũng", "Hà", "Thắng", "Nhung", "Khải", "Hiền", "Tùng", "Bảo", "Phúc",
         "Dung", "Thảo", "Quân", "Long", "Hương", "Tâm", "Yến", "Phong", "Ngân", "Trang", "Vinh"]
TITLES = ["Chuyên viên", "Chuyên viên chính", "Kế toán", "Trưởng phòng", "Phó Trưởng phòng", "Văn thư"]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_cpu_seconds() -> float:
    """CPU time of the PostgreSQL backend serving Django's connection (same machine), from /proc."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return process_cpu_seconds(cursor.fetchone()[0])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process on this machine, from /proc (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def mariadb_cpu_seconds() -> float:
    """CPU seconds of the local MariaDB server (the source): the server's pid from its own variables."""
    import pymysql

    server = pymysql.connect(**MARIADB)
    try:
        with server.cursor() as cur:
            cur.execute("SELECT @@pid_file")
            with open(cur.fetchone()[0]) as pid_file:
                return process_cpu_seconds(int(pid_file.read().strip()))
    except (OSError, ValueError, pymysql.MySQLError):
        return 0.0
    finally:
        server.close()


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle, not waiting on I/O), from /proc/stat: with
    the wall clock and the core count it says whether a run was bound by the processors."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent between start() and stop(): this process, its reaped children (the forked reader), its
    PostgreSQL backend, the MariaDB server, and the whole machine."""

    def start(self) -> "CpuMeter":
        self.wall, self.values = time.perf_counter(), self._read()
        return self

    def stop(self) -> dict:
        now, wall = self._read(), time.perf_counter() - self.wall
        spent = {k: round(now[k] - self.values[k], 1) for k in now}
        spent["cores"] = os.cpu_count()
        spent["machine_busy_share"] = round(spent["machine"] / (wall * os.cpu_count()), 2)
        return spent

    @staticmethod
    def _read() -> dict:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"python": time.process_time(), "reader_process": children.ru_utime + children.ru_stime,
                "postgresql_backend": backend_cpu_seconds(), "mariadb": mariadb_cpu_seconds(),
                "machine": machine_busy_seconds()}


def source_rows(n: int):
    """Old HR rows: about 1 % the same person again (same CCCD), 0.2 % impossible dates, 0.1 % without a name,
    an agency code on each, cursor values shared by runs of rows."""
    from hopnhat.consolidation.encodings import unicode_to_legacy

    def to_tcvn3(text):
        return unicode_to_legacy(text, "tcvn3")

    rng = random.Random(2025)  # noqa: S311 — reproducible test data, not security
    for i in range(1, n + 1):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        birth = (datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(45 * 365))).isoformat()
        cccd = f"{(i * 37) % 96 + 1:03d}{i:09d}"
        if i % 100 == 0:
            cccd = f"{((i - 33) * 37) % 96 + 1:03d}{i - 33:09d}"  # the same person as row i-33
        if i % 500 == 0:
            birth = "2023-02-30"
        if i % 1000 == 7:
            name = None
        agency = "SNV-HG" if i % 3 else "STC-HG"
        yield (i, to_tcvn3(name) if name else None, birth, cccd, None, None, agency,
               to_tcvn3(TITLES[i % 6]), f"2025-05-{1 + (i // 5000) % 28:02d} {(i // 200) % 24:02d}:00:00")


def make_source(n: int) -> str:
    import pymysql

    name = f"hn_engine_bench_{uuid.uuid4().hex[:8]}"
    server = pymysql.connect(autocommit=True, **MARIADB)
    with server.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    server.close()
    conn = pymysql.connect(database=name, autocommit=False, **MARIADB)
    with conn.cursor() as cur:
        cur.execute("""CREATE TABLE nhan_su (id INT PRIMARY KEY, ho_ten VARCHAR(100) CHARACTER SET latin1 NULL,
            ngay_sinh VARCHAR(20) NULL, so_cccd VARCHAR(20) NULL, email VARCHAR(100) NULL,
            dien_thoai VARCHAR(20) NULL, ma_don_vi VARCHAR(30) NULL, chuc_vu VARCHAR(100) CHARACTER SET latin1 NULL,
            ngay_cap_nhat DATETIME NOT NULL, KEY (ngay_cap_nhat, id))""")
        chunk = []
        for row in source_rows(n):
            chunk.append(row)
            if len(chunk) == 10000:
                cur.executemany("INSERT INTO nhan_su VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", chunk)
                chunk = []
        if chunk:
            cur.executemany("INSERT INTO nhan_su VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", chunk)
    conn.commit()
    conn.close()
    return name


def drop_source(name: str) -> None:
    import pymysql

    server = pymysql.connect(autocommit=True, **MARIADB)
    with server.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    server.close()


def baseline(source_url: str, target_db: str, table: str = "nhan_su") -> dict:
    """Plain SELECT of one old table streamed from MariaDB, COPY into a bare PostgreSQL table of text columns."""
    import psycopg
    import sqlalchemy

    engine = sqlalchemy.create_engine(source_url, poolclass=sqlalchemy.pool.NullPool)
    started, count = time.perf_counter(), 0
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{target_db}") as pg:
        with engine.connect().execution_options(stream_results=True, yield_per=2000) as conn:
            result = conn.execute(sqlalchemy.text(f"SELECT * FROM {table}"))  # noqa: S608 — our own table
            pg.execute(f"CREATE TABLE baseline_{table} ({', '.join(f'{c} text' for c in result.keys())})")
            with pg.cursor().copy(f"COPY baseline_{table} FROM STDIN") as copy:
                for row in result:
                    copy.write_row(tuple(row))
                    count += 1
        pg.commit()
        backend_cpu = process_cpu_seconds(pg.info.backend_pid)
    engine.dispose()
    seconds = time.perf_counter() - started
    return {"rows": count, "seconds": round(seconds, 2), "rows_per_s": round(count / seconds),
            "backend_cpu_seconds": round(backend_cpu, 1)}


FLOOR_TABLES = ["consolidation_stagedrecord", "core_provenance", "org_person", "org_membership"]


def storage_floor(target_db: str, tables: list[str] = FLOOR_TABLES) -> dict:
    """What only holding the engine's output costs PostgreSQL: every row the run wrote to staging, provenance,
    people and memberships, inserted again inside the server (INSERT … SELECT, no client, no Python, no
    look-ups) into empty tables of the same shape — the same indexes and foreign keys — in one transaction per
    table. No engine that writes these rows can beat it, so `floor / baseline` is the highest ratio this data
    model allows on this machine. Other importers' benchmarks pass the tables their importers write."""
    import psycopg

    out, total, rows, cpu = {}, 0.0, 0, 0.0
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{target_db}") as pg:
        for table in tables:
            copy = f"floor_{table}"
            pg.execute(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING ALL)')
            for (definition,) in pg.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                            "WHERE conrelid = %s::regclass AND contype = 'f'", [table]):
                pg.execute(f'ALTER TABLE "{copy}" ADD {definition}')
            pg.commit()
            started, cpu_before = time.perf_counter(), process_cpu_seconds(pg.info.backend_pid)
            count = pg.execute(f'INSERT INTO "{copy}" SELECT * FROM "{table}"').rowcount
            pg.commit()  # deferred foreign key checks run here
            seconds = time.perf_counter() - started
            spent = process_cpu_seconds(pg.info.backend_pid) - cpu_before
            out[table] = {"rows": count, "seconds": round(seconds, 2), "backend_cpu_seconds": round(spent, 1)}
            total, rows, cpu = total + seconds, max(rows, count), cpu + spent
            pg.execute(f'DROP TABLE "{copy}"')
            pg.commit()
    return {"tables": out, "seconds": round(total, 2), "rows_per_s": round(rows / total) if total else None,
            "backend_cpu_seconds": round(cpu, 1)}


TARGET_RATIO = 0.3


def cpu_budget(rows: int, target: float, base: dict, floor: dict, engine_cpu: dict) -> dict:
    """The target as processor time. To run at `target` × the baseline's rate the engine has rows / (target ×
    baseline rate) seconds, so at most that many times the core count in CPU seconds, for everything: the source
    server, the reader, the engine, PostgreSQL. Any engine must at least read the rows as the baseline does
    (its whole machine time) and have PostgreSQL hold them as the floor does (its backend time); what is left,
    per row, is all there is for decoding legacy text, hashing ID numbers, canonical JSON, checksums, mapping,
    duplicate look-ups and formatting the rows of four tables. Negative: no engine can reach the target here."""
    seconds = rows / (target * base["rows_per_s"])
    allowed = seconds * os.cpu_count()
    must = base["cpu_seconds"]["machine"] + floor["backend_cpu_seconds"]
    return {"target_seconds": round(seconds, 2), "allowed_cpu_seconds": round(allowed, 1),
            "read_and_hold_cpu_seconds": round(must, 1),
            "left_us_per_row": round((allowed - must) / rows * 1e6, 1),
            "engine_cpu_seconds": engine_cpu["machine"],
            "engine_us_per_row_beyond_read_and_hold": round((engine_cpu["machine"] - must) / rows * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--thread-reader", action="store_true",
                        help="read the source in a thread, as for old-portal sources, instead of a forked process")
    args = parser.parse_args()

    import psycopg

    target_db = f"hn_engine_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target_db}"')
    var_dir = tempfile.mkdtemp(prefix="hn_engine_bench_")
    os.environ.update({"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{target_db}",
                       "HOPNHAT_VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "hopnhat.settings"})
    source_db = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        source_db = make_source(args.rows)
        source_seconds = time.perf_counter() - started
        source_url = f"mysql+pymysql://root@127.0.0.1:3306/{source_db}?charset=utf8mb4"

        from hopnhat.consolidation.engine import Progress, run_mapping
        from hopnhat.consolidation.sources import SqlSource

        SqlSource.separate_process = not args.thread_reader
        from hopnhat.consolidation.mapping import Mapping
        from hopnhat.org.models import Agency

        Agency.objects.create(code="000.00.02.H22", name="Sở Nội vụ tỉnh Hà Giang")
        Agency.objects.create(code="000.00.05.H22", name="Sở Tài chính tỉnh Hà Giang")

        class Sampler(Progress):
            """Peak RSS once 100k rows are through, and the current RSS at every tenth of the run."""

            def __init__(self):
                self.done, self.samples, self.peak_at_100k = 0, [], None
                self.every = max(args.rows // 10, args.batch)

            def advance(self, n):
                before, self.done = self.done, self.done + n
                if before < 100_000 <= self.done:
                    self.peak_at_100k = round(peak_rss_mb(), 1)
                if before // self.every != self.done // self.every:
                    self.samples.append({"rows": self.done, "rss_mb": round(rss_mb(), 1),
                                         "seconds": round(time.perf_counter() - self.started, 1)})

            def start(self, total, description):
                self.started = time.perf_counter()

        sampler = Sampler()
        mapping = Mapping.from_dict({
            "system": "hr-hagiang", "stream": "people", "importer": "org.people",
            "source": {"kind": "sql", "url": source_url, "table": "nhan_su",
                       "legacy_encoding": {"tcvn3": ["ho_ten", "chuc_vu"]}},
            "key": "id", "cursor": "ngay_cap_nhat", "pii": ["so_cccd"],
            "fields": {"full_name": {"from": "ho_ten", "required": True},
                       "birth_date": {"from": "ngay_sinh", "type": "date"}, "national_id_hash": "so_cccd",
                       "email": "email", "phone": "dien_thoai", "agency_code": "ma_don_vi", "position": "chuc_vu"},
            "crosswalks": {"agency": {"SNV-HG": "000.00.02.H22", "STC-HG": "000.00.05.H22"}},
            "options": {"batch_size": args.batch},
        })
        started, meter = time.perf_counter(), CpuMeter().start()
        run = run_mapping(mapping, actor="system:bench", progress=sampler)
        engine_seconds = time.perf_counter() - started
        # CPU seconds, next to the wall clock: on a shared two-core machine they say where the time went.
        engine_cpu = meter.stop()
        engine_peak = peak_rss_mb()
        # The forked reader's own peak (reaped by now); its pages shared with the engine count in both.
        reader_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        meter = CpuMeter().start()
        base = baseline(source_url, target_db)
        base["cpu_seconds"] = {**meter.stop(), "postgresql_backend": base.pop("backend_cpu_seconds")}
        connections.close_all()
        floor = storage_floor(target_db)
        engine_rate = args.rows / engine_seconds
        budget = cpu_budget(args.rows, TARGET_RATIO, base, floor, engine_cpu)
        print(json.dumps({
            "rows": args.rows, "batch": args.batch, "source_setup_seconds": round(source_seconds, 1),
            "reader": "thread" if args.thread_reader else "process",
            "engine": {"seconds": round(engine_seconds, 2), "rows_per_s": round(engine_rate),
                       "balanced": run.balanced, "totals": run.totals, "cpu_seconds": engine_cpu,
                       "peak_rss_mb_at_100k": sampler.peak_at_100k, "peak_rss_mb_at_end": round(engine_peak, 1),
                       "reader_process_peak_rss_mb": round(reader_peak, 1) if not args.thread_reader else None,
                       "rss_samples": sampler.samples},
            "baseline_select_copy": base,
            "storage_floor": floor,
            "ratio": round(engine_rate / base["rows_per_s"], 3),
            # The floor against the baseline: the best ratio any engine could reach writing these tables.
            "ceiling_ratio": round(floor["rows_per_s"] / base["rows_per_s"], 3),
            "engine_vs_floor": round(engine_rate / floor["rows_per_s"], 3),
            "cpu_budget": budget,
            "targets": {"ratio": TARGET_RATIO, "peak_rss_mb": 300},
        }, ensure_ascii=False, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        if source_db:
            drop_source(source_db)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target_db}" WITH (FORCE)')
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
