"""Old-URL redirects: the bouncer (`hopnhat portal bouncer`, Granian + the crosswalk's ASGI app) against nginx
serving the exported map, with the Django path (gunicorn + middleware) for information.

    .venv/bin/python bench/redirects_wrk.py [--mappings 1000000] [--duration 15] [--connections 16]
        [--database postgres|sqlite] [--db-name bench_hopnhat_crosswalk] [--bouncer-workers 2] [--workers 5]
        [--large-urls 200000] [--keep-db] [--reuse-db]

Loads N exact redirect mappings spread over old commune portals into a throw-away database
(PostgreSQL `--db-name`, or SQLite under bench/out/), exports the nginx map with
`hopnhat portal redirects nginx-map`, then starts in turn nginx, the bouncer, the bouncer on asyncio's own
tasks (Granian's Rust tasks are the default), the bouncer over a set of URLs larger than its cache (random
order, so part of the requests hit and the rest take the miss path), the bouncer with its answer cache off
(every request through canonicalisation, the database and Django's `respond`: the cost of a URL not seen
before) and gunicorn with the Django middleware, on loopback ports. Each must answer the same Location for a
sample before wrk runs against it with the same rotating set of old URLs (the larger set for that one run).
`--keep-db` then `--reuse-db` skips loading the mappings again.
Prints one JSON document: requests/s and latency percentiles for each, the ratio bouncer/nginx, and whether the
targets (bouncer ≥ 0.3 × nginx, bouncer p99 ≤ 10 ms) were met.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "redirects"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO, TARGET_P99_MS = 0.3, 10.0
SLUGS = ["le-hoi-hoa-tam-giac-mach", "cam-sanh-ham-yen", "lu-quet-hoang-su-phi", "cao-nguyen-da-dong-van",
         "thu-tuc-cap-giay-khai-sinh", "lich-tiep-cong-dan", "ket-qua-bau-cu", "chuong-trinh-nong-thon-moi"]

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  local host, path = line:match("^(%S+) (%S+)$")
  paths[#paths + 1] = {host, path}
end
local random = os.getenv("BENCH_ORDER") == "random"
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
init = function(args)
  math.randomseed(tonumber(os.getenv("BENCH_SEED")) + (thread_number or 0))
end
local i = 0
request = function()
  if random then
    i = math.random(#paths)
  else
    i = i % #paths + 1
  end
  return wrk.format("GET", paths[i][2], {["Host"] = paths[i][1]})
end
done = function(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def wait_healthy(port: int, timeout: float = 180) -> None:
    """Servers bind before their workers have imported Django; wait until one answers."""
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app on port {port} never answered /healthz")


def setup_env(args) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hopnhat.settings", HOPNHAT_VAR_DIR=str(OUT / "var"),
               HOPNHAT_SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106
               HOPNHAT_ALLOWED_HOSTS="127.0.0.1,localhost", HOPNHAT_BASE_URL="https://tuyenquang.gov.vn",
               HOPNHAT_LOG_LEVEL="ERROR")
    if args.database == "postgres":
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db_name}"
    else:
        env.pop("DATABASE_URL", None)
    return env


def fresh_database(args, env) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}"')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
    else:
        shutil.rmtree(OUT / "var", ignore_errors=True)
    (OUT / "var").mkdir(parents=True, exist_ok=True)
    subprocess.run([str(VENV_BIN / "hopnhat"), "migrate", "--no-input", "-v", "0"], env=env, check=True)


def load_mappings(n: int, sites: int, large: int, write: bool = True):
    """N exact redirects over `sites` old commune portals; returns a sample of (host, path, expected target) and
    `large` (host, path) spread over all of them. Without `write`, only the two lists of a database loaded
    before (the same seed gives the same lists)."""
    from django.db import transaction

    from hopnhat.portal.crosswalk.api import ensure_site
    from hopnhat.portal.crosswalk.canonical import canonical
    from hopnhat.portal.crosswalk.models import Mapping, MappingType

    rng = random.Random(20250701)
    site_objs = [ensure_site(f"xa{i:05d}.hagiang.gov.vn", actor="system:bench") for i in range(sites)]
    sample, spread, batch = [], [], []
    step = max(1, n // large) if large else 0
    for i in range(n):
        site = site_objs[i % sites]
        slug = SLUGS[i % len(SLUGS)]
        path = canonical(site, f"/Tin-Tuc/{slug}-{i}.html")
        target = f"https://tuyenquang.gov.vn/tin-tuc/{slug}-{i}"
        batch.append(Mapping(site=site, path=path, type=MappingType.REDIRECT, target_url=target, version=1,
                             updated_by="system:bench"))
        if rng.random() < 20_000 / n:
            sample.append((site.host, path, target))
        if step and i % step == 0 and len(spread) < large:
            spread.append((site.host, path))
        if not write:
            batch = []
        elif len(batch) == 10_000:
            with transaction.atomic():
                Mapping.objects.bulk_create(batch)
            batch = []
    Mapping.objects.bulk_create(batch)
    return sample, spread


def loaded_before(args, env) -> bool:
    """--reuse-db: the database is there, migrated, with exactly the mappings this run would load."""
    if args.database != "postgres" or not args.reuse_db:
        return False
    import psycopg

    from hopnhat.portal.crosswalk.models import Mapping, OldSite

    try:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            counts = [conn.execute(f'SELECT count(*) FROM "{model._meta.db_table}"').fetchone()[0]  # noqa: S608
                      for model in (Mapping, OldSite)]
    except psycopg.Error:
        return False
    return counts == [args.mappings, args.sites]


def run_wrk(port: int, paths_file: Path, args, order: str = "rotate") -> dict:
    result = OUT / f"wrk-{port}.json"
    script = OUT / "rotate.lua"
    script.write_text(WRK_SCRIPT)
    # A new seed every run: the same random sequence each time would hand a cache the URLs it kept last run.
    env = dict(os.environ, BENCH_PATHS=str(paths_file), BENCH_RESULT=str(result), BENCH_ORDER=order,
               BENCH_SEED=str(random.randrange(1 << 30)))
    subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
                    "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}/"], env=env, check=True,
                   capture_output=True)
    raw = json.loads(result.read_text())
    result.unlink()
    seconds = raw["duration_us"] / 1e6
    return {"requests_per_s": round(raw["requests"] / seconds, 1), "requests": raw["requests"],
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            "errors": {k[7:]: v for k, v in raw.items() if k.startswith("errors_") and v}}


def measure(port: int, paths_file: Path, args, steady: bool = False, order: str = "rotate") -> dict:
    """wrk after a 3 s warm-up; with `steady`, warm-ups go on (up to 15) until two in a row agree within 5 %
    and the URLs have been sent twice per bouncer worker: a server with a per-worker answer cache is measured
    in its steady state, once each worker has met the set (the cold figure is the no-cache run). A cache that
    fills slowly rises by less than 5 % between two warm-ups, hence the second condition."""
    warm = argparse.Namespace(**{**vars(args), "duration": 3})
    wanted = 2 * sum(1 for _ in paths_file.open()) * args.bouncer_workers if steady else 0
    runs = [run_wrk(port, paths_file, warm, order)]
    rates = [runs[-1]["requests_per_s"]]
    while steady and len(rates) < 15 and (len(rates) < 2 or abs(rates[-1] - rates[-2]) > 0.05 * rates[-2]
                                          or sum(r["requests"] for r in runs) < wanted):
        runs.append(run_wrk(port, paths_file, warm, order))
        rates.append(runs[-1]["requests_per_s"])
    return {**run_wrk(port, paths_file, args, order), "warm_up_requests_per_s": rates}


def against_nginx(figures: dict, name: str, nginx: dict) -> None:
    ratio = figures[name]["requests_per_s"] / nginx["requests_per_s"]
    figures[name]["ratio_to_nginx"] = round(ratio, 3)
    figures[name]["targets_met"] = {f"ratio >= {TARGET_RATIO}": ratio >= TARGET_RATIO,
                                    f"p99 <= {TARGET_P99_MS} ms": figures[name]["p99_ms"] <= TARGET_P99_MS}


def run_server(command: list[str], env: dict, port: int, sample, paths_file: Path, args, steady=False,
               order="rotate") -> dict:
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        wait_healthy(port)
        checked = check_same_answers({" ".join(command[:3]): port}, sample)
        return {**measure(port, paths_file, args, steady, order), "checked_same_location": checked}
    finally:
        server.terminate()
        server.wait(timeout=30)


def check_same_answers(ports: dict, sample) -> int:
    """Both servers send the same Location for the sample (the figure means nothing otherwise)."""
    import http.client

    checked = 0
    for host, path, target in sample[:200]:
        for name, port in ports.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            response.read()
            conn.close()
            if (response.status, response.getheader("Location")) != (301, target):
                raise RuntimeError(f"{name} answered {response.status} {response.getheader('Location')} "
                                   f"for {host}{path}, expected 301 {target}")
        checked += 1
    return checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mappings", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=300, help="old commune portals the mappings belong to")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--db-name", default="bench_hopnhat_crosswalk", help="PostgreSQL database to (re)create")
    parser.add_argument("--keep-db", action="store_true", help="leave the PostgreSQL database (dropped otherwise)")
    parser.add_argument("--reuse-db", action="store_true",
                        help="use the PostgreSQL database left by --keep-db when it holds the same mappings")
    parser.add_argument("--large-urls", type=int, default=200_000,
                        help="URLs of the run over a set larger than the bouncer's cache, in random order")
    parser.add_argument("--bouncer-workers", type=int, default=os.cpu_count() or 1,
                        help="bouncer worker processes (default one per core: each runs an event loop)")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (default 2 × cores + 1, gunicorn's advice)")
    parser.add_argument("--worker-classes", default="sync", help="gunicorn worker classes to measure (sync,gthread)")
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker (keep-alive)")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not (shutil.which("wrk") and Path(nginx).exists()):
        sys.exit("needs wrk and nginx (scripts/services.sh ensure_nginx installs both)")
    OUT.mkdir(parents=True, exist_ok=True)
    env = setup_env(args)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    figures: dict = {"mappings": args.mappings, "sites": args.sites, "database": args.database,
                     "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration},
                     "bouncer_workers": args.bouncer_workers, "gunicorn_workers": args.workers,
                     "gthreads": args.gthreads, "cpu_count": os.cpu_count(),
                     "load_average_at_start": os.getloadavg()}

    started = time.monotonic()
    import django

    django.setup()  # touches no database: the models name their tables for loaded_before
    reused = loaded_before(args, env)
    if not reused:
        fresh_database(args, env)
    sample, spread = load_mappings(args.mappings, args.sites, args.large_urls, write=not reused)
    figures["load_s" if not reused else "reused_db_s"] = round(time.monotonic() - started, 1)

    from django.db import connection

    from hopnhat.portal.crosswalk.edge import standalone_conf, write_nginx_map

    map_file = OUT / "hopnhat-redirects.map"
    started = time.monotonic()
    with map_file.open("w", encoding="utf-8") as out:
        figures["nginx_map"] = write_nginx_map(out)
    figures["nginx_map"]["export_s"] = round(time.monotonic() - started, 1)
    figures["nginx_map"]["bytes"] = map_file.stat().st_size
    connection.close()

    paths_file = OUT / "paths.txt"
    paths_file.write_text("".join(f"{h} {p}\n" for h, p, _ in sample), encoding="utf-8")
    figures["rotating_urls"] = len(sample)
    large_file = OUT / "paths-large.txt"
    large_file.write_text("".join(f"{h} {p}\n" for h, p in spread), encoding="utf-8")

    nginx_dir = OUT / "nginx"
    shutil.rmtree(nginx_dir, ignore_errors=True)
    nginx_dir.mkdir()
    ports = {"nginx": free_port(), "app": free_port()}
    figures["targets"] = {"bouncer_to_nginx_ratio_min": TARGET_RATIO, "bouncer_p99_max_ms": TARGET_P99_MS}
    conf = nginx_dir / "nginx.conf"
    conf.write_text(standalone_conf(map_file, f"127.0.0.1:{ports['nginx']}", nginx_dir))
    try:
        started = time.monotonic()
        server = subprocess.Popen([nginx, "-c", str(conf), "-p", str(nginx_dir), "-g", "daemon off;"])
        wait_port(ports["nginx"])
        figures["nginx_start_s"] = round(time.monotonic() - started, 1)
        check_same_answers({"nginx": ports["nginx"]}, sample)
        figures["nginx"] = measure(ports["nginx"], paths_file, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bouncer = [str(VENV_BIN / "hopnhat"), "portal", "bouncer", "--bind", f"127.0.0.1:{ports['app']}",
               "--workers", str(args.bouncer_workers), "--json"]
    figures["bouncer"] = run_server(bouncer, env, ports["app"], sample, paths_file, args, steady=True)
    against_nginx(figures, "bouncer", figures["nginx"])
    # For information: the same with asyncio's own tasks instead of Granian's Rust ones (bouncer.TASK_IMPL).
    figures["bouncer_asyncio_tasks"] = run_server(bouncer, {**env, "HOPNHAT_BOUNCER_TASK_IMPL": "asyncio"},
                                                  ports["app"], sample, paths_file, args, steady=True)
    against_nginx(figures, "bouncer_asyncio_tasks", figures["nginx"])
    # More URLs than a worker's cache holds, in random order: each worker keeps about cache/URLs of them, the
    # rest take the miss path (a rotating set larger than an LRU would never hit at all).
    from hopnhat.portal.crosswalk.bouncer import CACHE_SIZE

    figures["bouncer_large_set"] = run_server(bouncer, env, ports["app"], sample, large_file, args, steady=True,
                                              order="random")
    figures["bouncer_large_set"].update(urls=len(spread), cache_per_worker=CACHE_SIZE,
                                        cached_share_expected=round(min(1.0, CACHE_SIZE / max(1, len(spread))), 3))
    against_nginx(figures, "bouncer_large_set", figures["nginx"])
    # For information: every request a miss (canonicalise, one prepared query, Django's respond).
    figures["bouncer_no_cache"] = run_server(bouncer, {**env, "HOPNHAT_BOUNCER_CACHE": "0"}, ports["app"], sample,
                                             paths_file, args)
    against_nginx(figures, "bouncer_no_cache", figures["nginx"])
    figures["django"] = {}
    for worker_class in args.worker_classes.split(","):
        command = [str(VENV_BIN / "gunicorn"), "hopnhat.wsgi:application", "-w", str(args.workers), "-k",
                   worker_class, "-b", f"127.0.0.1:{ports['app']}", "--log-level", "warning"]
        if worker_class == "gthread":
            command += ["--threads", str(args.gthreads)]
        figures["django"][worker_class] = run_server(command, env, ports["app"], sample, paths_file, args)
        against_nginx(figures["django"], worker_class, figures["nginx"])
    figures["targets_met"] = all(figures["bouncer"]["targets_met"].values())
    if args.database == "postgres" and not args.keep_db:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}"')
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
