"""Continuity under load: the production set-up on this machine, a realistic mix of requests at about half of
its measured capacity, and three changes one after another — an old one-door system's whole cutover, a release
rolled out, a web worker and the task worker killed — each counted for failed requests (issue 18).

    .venv/bin/python bench/continuity.py [--db-name bench_hopnhat_continuity] [--reuse-db] [--keep-db]
        [--steady-s 20] [--capacity-s 6] [--load-share 0.5] [--clients 6] [--workers 2]

Set-up: a fresh PostgreSQL database filled by `hopnhat demo --no-serve` (`--reuse-db` keeps one from an earlier
`--keep-db` run), two gunicorn instances (`hopnhat.wsgi`) behind one nginx upstream, the bouncer
(`hopnhat portal bouncer`) behind nginx for the old portals' hosts (exact redirects from the exported map at the
edge), a task worker (`hopnhat db_worker`, `HOPNHAT_TASK_BACKEND=django_tasks_db.DatabaseBackend`) and, for the
cutover, an old one-door system in MariaDB with a writer process adding and updating dossiers in it.
The mix (every request kind, each with its own answer recorded in the steady state first): old portal URLs
through nginx's map and through the bouncer, public dossier look-ups (JSON API, from many client addresses
as citizens would), portal home and search, the unit look-up, and signed-in staff opening their worklist and a
dossier and taking a step on it (each step a form with its one-time token, core.idempotency), and a throw-away
app whose table release 2 changes (bench/continuity_release). Phases: steady, cutover, release, kill, each followed
by a steady control window (`--no-control-windows` to leave them out). Per phase: requests, failed requests
(connection errors, 5xx and any answer other than that request's steady-state answer), p50, p99, the p99's ratio to
the first steady window and to the control windows around it, p50/p99 per request kind, which operator event each
slow request overlapped, the phase's p99 outside its events, and the CPU each group of processes used (the
harness's own processes, PostgreSQL's backends for its database, and the rest of the machine).
Prints one JSON document.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "continuity"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
HOST = "tuyenquang.gov.vn"           # the platform's public host name (nginx answers it; Django allows it)
OLD_SYSTEM = "tthc-continuity"       # the old one-door system walked through the cutover
MARIADB_DB = "hn_continuity_old"
WRITER_USER = "hn_continuity_writer"
STAFF = ("thuly.minhxuan", "hopnhat-demo-2025")   # the demo's processor (dossiers/demo.py TEAM)
RUN_TAG = time.strftime("%H%M%S")      # in the old system's codes: a reused database gets new dossiers each run
RELEASE_DIR = ROOT / "bench" / "continuity_release"   # the throw-away app whose release 2 adds a column


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


def wait_healthy(port: int, timeout: float = 180, host: str = HOST) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/healthz", headers={"Host": host})
            if conn.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the app on port {port} never answered /healthz")


def base_env(db_url: str, var_dir: Path) -> dict:
    return dict(os.environ, DJANGO_SETTINGS_MODULE="hopnhat.settings", HOPNHAT_VAR_DIR=str(var_dir),
                HOPNHAT_SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106
                HOPNHAT_ALLOWED_HOSTS=f"{HOST},127.0.0.1,localhost", HOPNHAT_BASE_URL=f"https://{HOST}",
                HOPNHAT_BEHIND_TLS_PROXY="1", HOPNHAT_LOG_LEVEL="ERROR", DATABASE_URL=db_url,
                HOPNHAT_TASK_BACKEND="django_tasks_db.DatabaseBackend", PYTHONUNBUFFERED="1",
                # behind our nginx, as production is: the client address is the one nginx appends
                HOPNHAT_TRUSTED_PROXIES="1",
                # the mix looks up the same few codes again and again: the per-code guard against guessing a
                # code's phone digits (20 an hour) is not what this harness measures
                HOPNHAT_LOOKUP_CODE_ATTEMPTS="1000000")


IN_PROCESS = {"on": False}    # the test suite's short run: the same CLI commands, called in this process
BATCH_NICE = {"n": "19", "group": "7"}   # batch work (operators' commands, migrate, the task worker): its nice, and
# the nice of its scheduling group, 7 by default: the weight ratio of the documented units (CPUWeight=20 for batch,
# 100 for the web). On a machine shared with other people's sessions (groups of weight 1024 each) a batch group at
# nice 10 starved (a cutover step waited minutes for its start-up): `--batch-group-nice 0` there.


def service(cmd: list[str], weight_nice: int = 0, **kw) -> subprocess.Popen:
    """A process started as systemd starts a service: in a session of its own, hence its own scheduling group
    (Linux autogroup, as a service gets its own cgroup), so that the CPU is shared between services first — a
    batch job's `nice` alone would only order it against the processes of its own group. `weight_nice` lowers the
    group's weight (what `CPUWeight=` does for a unit: deploy/hopnhat-worker.service)."""
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    if weight_nice:
        with contextlib.suppress(OSError):
            Path(f"/proc/{proc.pid}/autogroup").write_text(str(weight_nice))
    return proc


def batch(cmd: list[str], env: dict) -> subprocess.CompletedProcess:
    """An operator's command (cutover step, migrate): low priority, in a low-weight group of its own."""
    proc = service(["nice", "-n", BATCH_NICE["n"], *cmd], weight_nice=int(BATCH_NICE["group"]), env=env, cwd=ROOT,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def hopnhat(env: dict, *args: str, check: bool = True) -> dict | None:
    """One CLI call with --json; returns its answer (None when it printed nothing parseable)."""
    if IN_PROCESS["on"]:
        import io

        from django.core.management import call_command

        out = io.StringIO()
        call_command(*args, "--json", stdout=out)
        return json.loads(out.getvalue())
    # Operators' batch commands run at a lower CPU priority than the web workers (as the task worker does under
    # systemd, Nice=10 in deploy/): on a small machine a sync's CPU must not become the people's latency.
    proc = batch([str(VENV_BIN / "hopnhat"), *args, "--json"], env)
    if check and proc.returncode != 0:
        raise RuntimeError(f"hopnhat {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    with contextlib.suppress(json.JSONDecodeError):
        return json.loads(proc.stdout)
    return {"exit": proc.returncode, "stderr": proc.stderr[-500:]}


# ---------------------------------------------------------------------------------------------------- the release probe
def probe_env(env: dict, release: int) -> dict:
    """The environment of a gunicorn instance (or a migrate) on release 1 or 2 of the probe app."""
    paths = [str(RELEASE_DIR), str(RELEASE_DIR / f"v{release}"), *filter(None, [env.get("PYTHONPATH")])]
    return dict(env, DJANGO_SETTINGS_MODULE="release_settings", PYTHONPATH=os.pathsep.join(paths))


def probe_migrate(env: dict, release: int) -> list[str]:
    """`hopnhat migrate release_probe` as release `release` ships it, at low CPU priority and with a lock timeout:
    a schema change that cannot get its lock in 5 s gives up (and is run again) instead of queueing every request
    behind it."""
    proc = batch([str(VENV_BIN / "hopnhat"), "migrate", "release_probe", "--no-input"],
                 dict(probe_env(env, release), PGOPTIONS="-c lock_timeout=5000"))
    if proc.returncode:
        raise RuntimeError(f"migrate release_probe (release {release}) exited {proc.returncode}: {proc.stderr[-2000:]}")
    return [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("Applying")]


def probe_reset(db_url: str, rows: int = 0) -> None:
    """No probe table (a run starts on release 1; the end of a run leaves the database as it found it), or, with
    `rows`, that many notices of release 1 for release 2's backfill to reach."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        if rows:
            conn.execute("INSERT INTO release_probe_notice (title, created_at) SELECT 'Thông báo ' || g, now() "
                         "FROM generate_series(1, %s) g", (rows,))
            return
        conn.execute("DROP TABLE IF EXISTS release_probe_notice")
        with contextlib.suppress(psycopg.errors.UndefinedTable):
            conn.execute("DELETE FROM django_migrations WHERE app = 'release_probe'")


# ---------------------------------------------------------------------------------------------------- nginx
def nginx_conf(prefix: Path, listen: int, app_ports: list[int], bouncer_port: int, map_file: Path,
               old_hosts: list[str], down: frozenset = frozenset()) -> str:
    """The production edge (README "Production notes", deploy/nginx-hopnhat.conf) on loopback, without TLS:
    X-Forwarded-Proto says https as the TLS terminator would."""
    upstream = "\n".join(f"        server 127.0.0.1:{p} max_fails=0{' down' if p in down else ''};"
                         for p in app_ports)
    return f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {map_file};
{PROXY_COMMON}
    upstream hopnhat {{
{upstream}
        keepalive 16;
    }}
    upstream hopnhat_bouncer {{
        server 127.0.0.1:{bouncer_port};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen} default_server;
        server_name {HOST};
        location / {{ proxy_pass http://hopnhat; }}
        # the public look-up: a read sent as POST, passed on like a GET (deploy/nginx-hopnhat.conf)
        location = /ho-so/api/tra-cuu/ {{
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_pass http://hopnhat;
        }}
        # staff forms carry a one-time token (core.idempotency): one cut by a killed worker is passed on, and
        # is applied once however many times it arrives (deploy/nginx-hopnhat.conf)
        location ^~ /ho-so/can-bo/ {{
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_pass http://hopnhat;
        }}
        location ^~ /van-ban/ {{
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_pass http://hopnhat;
        }}
    }}
    server {{
        listen 127.0.0.1:{listen};
        server_name {' '.join(old_hosts) or 'old.invalid'};
        location / {{
            if ($hopnhat_redirect) {{ return 301 $hopnhat_redirect; }}
            proxy_pass http://hopnhat_bouncer;
        }}
    }}
}}
"""


# What the platform's edge does for every proxied request (also in deploy/nginx-hopnhat.conf): HTTP/1.1 with
# keep-alive to the upstreams, and a request that found a gunicorn instance closed or restarting (connection
# refused or reset before an answer, 502/503) goes to the other instance. nginx never passes a POST on once it
# was sent (non_idempotent is left off): a staff step is not repeated behind the person's back.
PROXY_COMMON = """    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto https;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;
    proxy_connect_timeout 2s;
    proxy_read_timeout 60s;"""


# ------------------------------------------------------------------------------------------ where the time goes
EVENTS: list[tuple[float, float, str]] = []     # (start, end, name) of every operator event, monotonic clock


@contextlib.contextmanager
def event(name: str):
    started = time.monotonic()
    try:
        yield
    finally:
        EVENTS.append((started, time.monotonic(), name))


TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a live process has used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}/task").exists() else []:
            with contextlib.suppress(OSError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                todo += children
    return found


class CpuMeter:
    """CPU seconds per group of processes, sampled twice a second: the web instances, the edge (nginx and the
    bouncer), the task worker, the operators' commands (cutover steps, migrate), the old system's writer, the
    harness with its load generator, PostgreSQL's backends for this database, and the whole machine from
    /proc/stat (user, nice, system, steal): what is left is other people's work on the shared machine."""

    def __init__(self, db_name: str | None = None):
        self.db_name = db_name
        self.seen: dict[int, tuple[str, float]] = {}
        self.totals: dict[str, float] = {}
        self.marks: dict[str, tuple[float, dict, list[int]]] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    @staticmethod
    def machine() -> list[int]:
        return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]

    def group_of(self, pid: int) -> str:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
        if pid == os.getpid():
            return "harness and load generator"
        for needle, group in (("gunicorn", "web instances"), ("nginx", "edge (nginx, bouncer)"),
                              ("bouncer", "edge (nginx, bouncer)"), ("db_worker", "task worker"),
                              ("consolidate", "operators' commands"), (" migrate", "operators' commands"),
                              ("continuity", "old system's writer")):
            if needle in cmd:
                return group
        return "other children"

    def backends(self) -> list[int]:
        if not self.db_name:
            return []
        import psycopg

        with contextlib.suppress(Exception), psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                               (self.db_name,))]
        return []

    def sample(self) -> None:
        pids = [(p, None) for p in [os.getpid(), *_descendants(os.getpid())]]
        pids += [(p, "PostgreSQL backends (this database)") for p in self.backends()]
        with self.lock:
            for pid, group in pids:
                cpu = _proc_cpu(pid)
                if cpu is None:
                    continue
                if pid not in self.seen:
                    # a process first seen now: count what it used since it started (a command lives seconds)
                    self.seen[pid] = (group or self.group_of(pid), 0.0)
                name, last = self.seen[pid]
                if name:
                    self.totals[name] = self.totals.get(name, 0.0) + max(0.0, cpu - last)
                self.seen[pid] = (name, cpu)

    def loop(self) -> None:
        while not self.stop.wait(0.5):
            with contextlib.suppress(Exception):
                self.sample()

    def start(self) -> None:
        threading.Thread(target=self.loop, daemon=True).start()

    def mark(self, name: str) -> None:
        self.sample()
        with self.lock:
            self.marks[name] = (time.monotonic(), dict(self.totals), self.machine())

    def between(self, start: str, end: str) -> dict:
        (t0, g0, m0), (t1, g1, m1) = self.marks[start], self.marks[end]
        seconds = t1 - t0
        delta = [b - a for a, b in zip(m0, m1, strict=True)]
        user, nice, system, idle, iowait, irq, softirq, steal = (d / TICK / seconds for d in delta)
        busy = user + nice + system + irq + softirq + steal
        groups = {g: round((g1.get(g, 0) - g0.get(g, 0)) / seconds, 2) for g in sorted(g1)}
        ours = sum(groups.values())
        return {"cores": os.cpu_count(), "machine_busy_cores": round(busy, 2),
                "idle_cores": round(idle + iowait, 2), "steal_cores": round(steal, 2),
                "niced_cores": round(nice, 2), "this_run_cores": round(ours, 2),
                "other_work_cores": round(max(0.0, busy - ours), 2),
                "load_average_1m_at_end": os.getloadavg()[0],
                "this_run_by_group_cores": {g: v for g, v in groups.items() if v >= 0.01}}


# ---------------------------------------------------------------------------------------------------- load
@dataclass
class Kind:
    name: str
    method: str
    path: str
    host: str = HOST
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    staff: bool = False
    spread_clients: bool = False    # look-ups come from many citizens: one loopback address each
    weight: int = 1
    # answers that are the same steady state written two ways (a step taken, or refused as already taken)
    same: tuple[str, ...] = ()
    form_once: bool = False         # a staff form: a fresh one-time token each time, as each rendered page has


def answer_of(status: int, headers, body: bytes) -> str:
    """What must stay the same from one phase to the next: the status, where a redirect goes, and for JSON
    answers whether they said ok."""
    if 300 <= status < 400:
        location = headers.get("Location", "")
        return f"{status} {re.sub(r'xong=[^&]*', 'xong=*', location)}"
    if headers.get("Content-Type", "").startswith("application/json"):
        with contextlib.suppress(ValueError):
            return f"{status} ok={json.loads(body).get('ok')}"
    return str(status)


class Load:
    """Paced clients over loopback through nginx. `rate` requests/s in total (0: as fast as they go)."""

    def __init__(self, port: int, kinds: list[Kind], session: dict, clients: int):
        self.port, self.kinds, self.session, self.clients = port, kinds, session, clients
        self.weighted = [k for k in kinds for _ in range(k.weight)]
        self.all_weighted = self.weighted
        self.in_flight: dict[str, int] = {}
        self.expected: dict[str, str] = {}
        self.records: list[tuple] = []         # (phase, kind, ok, latency_s, answer, sent at)
        self.phase = "warm-up"
        self.rate = 0.0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()
        self.addr = 0
        self.releases: list[tuple[float, int]] = []    # (sent at, release) of every release-probe answer

    def one(self, kind: Kind) -> tuple[str, float]:
        headers = {"Host": kind.host, **kind.headers}
        if kind.staff:
            headers["Cookie"] = self.session["cookie"]
            if kind.method == "POST":
                headers.update({"X-CSRFToken": self.session["csrf"], "Origin": f"https://{HOST}",
                                "Referer": f"https://{HOST}/", "Content-Type": "application/x-www-form-urlencoded"})
        source = None
        if kind.spread_clients:
            with self.lock:
                self.addr = (self.addr + 1) % 60000
                n = self.addr + 256
            source = (f"127.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255 or 1}", 0)
        body = kind.body
        if kind.form_once:
            body += f"&form_once={uuid.uuid4().hex}".encode()
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=source)
            conn.request(kind.method, kind.path, body=body, headers=headers)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            answer = answer_of(response.status, response.headers, body)
            if kind.name.startswith("release-probe") and response.status == 200:
                with contextlib.suppress(ValueError):
                    self.releases.append((started, json.loads(body).get("release")))
            if answer in kind.same:
                answer = "steady: " + " | ".join(kind.same)
        except (OSError, http.client.HTTPException) as exc:
            answer = f"connection error: {type(exc).__name__}"
        return answer, time.monotonic() - started

    def worker(self) -> None:
        rng = random.Random()
        while not self.stop.is_set():
            if self.rate:
                with self.lock:
                    slot = self.next_slot = max(self.next_slot + 1 / self.rate, time.monotonic() - 1)
                delay = slot - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            kind = rng.choice(self.weighted)
            phase = self.phase
            with self.lock:
                self.in_flight[kind.name] = self.in_flight.get(kind.name, 0) + 1
            answer, latency = self.one(kind)
            expected = self.expected.get(kind.name)
            ok = (expected is None and not answer.startswith(("5", "connection"))) or answer == expected
            with self.lock:
                self.in_flight[kind.name] -= 1
                self.records.append((phase, kind.name, ok, latency, answer, time.monotonic() - latency))

    def record_steady_answers(self) -> dict[str, str]:
        """Each request kind, three times in a row on a quiet platform: its steady answer (they must agree)."""
        for kind in self.kinds:
            answers = {self.one(kind)[0] for _ in range(3)}
            if len(answers) != 1 or next(iter(answers)).startswith(("5", "connection")):
                raise RuntimeError(f"{kind.name} has no steady answer: {sorted(answers)}")
            self.expected[kind.name] = answers.pop()
        return dict(self.expected)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.clients)]
        for t in threads:
            t.start()
        return threads

    def summary(self, phase: str) -> dict:
        rows = [r for r in self.records if r[0] == phase]
        latencies = sorted(r[3] for r in rows)

        def pct(p: float) -> float:
            return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0

        failures: dict[str, int] = {}
        for r in rows:
            if not r[2]:
                key = f"{r[1]}: {r[4]}"
                failures[key] = failures.get(key, 0) + 1
        first = min((r[5] for r in rows), default=0)
        failed_at = [round(r[5] - first, 1) for r in rows if not r[2]][:20]
        by_kind: dict[str, dict] = {}
        for name in sorted({r[1] for r in rows}):
            kind_latencies = sorted(r[3] for r in rows if r[1] == name)
            by_kind[name] = {"requests": len(kind_latencies), "p50_ms": percentile(kind_latencies, 0.5),
                             "p99_ms": percentile(kind_latencies, 0.99),
                             "max_ms": round(1000 * kind_latencies[-1], 1)}
        return {"requests": len(rows), "failed": sum(failures.values()), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                "failures": failures, "failed_at_s": failed_at, "by_kind": by_kind}

    def pooled(self, phases: list[str], exclude: list[tuple[float, float, str]] = ()) -> dict:
        """Requests, p50 and p99 of several phases together; with `exclude`, leaving out every request that
        overlapped one of those events."""
        rows = [r for r in self.records if r[0] in phases
                and not any(r[5] <= end and r[5] + r[3] >= start for start, end, _ in exclude)]
        latencies = sorted(r[3] for r in rows)
        return {"requests": len(rows), "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}

    def slow(self, phase: str, threshold_s: float, events: list[tuple[float, float, str]]) -> dict:
        """Where a phase's slow requests (above `threshold_s`, twice the steady p99) sat: inside which operator
        event's window (a cutover step, an instance's roll, a kill and its recovery; `events` hold
        (start, end, name) on the monotonic clock) or outside every one."""
        rows = [r for r in self.records if r[0] == phase and r[3] > threshold_s]
        where: dict[str, int] = {}
        for r in rows:
            sent, done = r[5], r[5] + r[3]
            hit = [name for start, end, name in events if sent <= end and done >= start]
            key = hit[0] if hit else "outside every event"
            where[key] = where.get(key, 0) + 1
        kinds: dict[str, int] = {}
        for r in rows:
            kinds[r[1]] = kinds.get(r[1], 0) + 1
        return {"above_ms": round(1000 * threshold_s, 1), "requests": len(rows),
                "during": dict(sorted(where.items(), key=lambda kv: -kv[1])),
                "kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1]))}


def percentile(latencies: list[float], p: float) -> float:
    return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0


def sign_in(port: int, username: str, password: str) -> dict:
    """The staff sign-in form, as a browser would: the CSRF cookie and token from the page, then the POST."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/dang-nhap/", headers={"Host": HOST})
    page = conn.getresponse()
    html = page.read().decode()
    cookies = dict(c.split(";")[0].split("=", 1) for c in page.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    conn.request("POST", "/dang-nhap/", body=urlencode({"csrfmiddlewaretoken": token, "username": username,
                                                         "password": password}),
                 headers={"Host": HOST, "Cookie": f"csrftoken={cookies['csrftoken']}",
                          "Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{HOST}",
                          "Referer": f"https://{HOST}/dang-nhap/"})
    answer = conn.getresponse()
    answer.read()
    for c in answer.headers.get_all("Set-Cookie") or []:
        name, value = c.split(";")[0].split("=", 1)
        cookies[name] = value
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"sign-in as {username} answered {answer.status}")
    return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "csrf": cookies["csrftoken"]}


def request_kinds(old_urls: list[tuple[str, str]], bounced: list[tuple[str, str]], lookups: list[dict],
                  staff_dossier: int, search: str) -> list[Kind]:
    from urllib.parse import quote

    kinds = [Kind(f"old-url-nginx-{i}", "GET", path, host=host, weight=2) for i, (host, path) in enumerate(old_urls)]
    kinds += [Kind(f"old-url-bouncer-{i}", "GET", path, host=host, weight=2) for i, (host, path) in enumerate(bounced)]
    kinds += [Kind(f"lookup-{i}", "POST", "/ho-so/api/tra-cuu/", body=json.dumps(body).encode(), weight=2,
                   headers={"Content-Type": "application/json"}, spread_clients=True)
              for i, body in enumerate(lookups)]
    kinds += [Kind("portal-home", "GET", "/", weight=2),
              Kind("portal-search", "GET", f"/tim-kiem/?q={quote(search)}", weight=2),
              Kind("unit-lookup", "GET", f"/don-vi/tra-cuu/?q={quote('Đội Cấn')}"),
              Kind("staff-worklist", "GET", "/ho-so/can-bo/", staff=True, weight=2),
              Kind("staff-dossier", "GET", f"/ho-so/can-bo/{staff_dossier}/", staff=True),
              # the same official processing the same dossier again: taken (302 back to it) or refused as already
              # taken (409: issue 19 "no duplicate steps") are both the platform's steady answer
              Kind("staff-act", "POST", f"/ho-so/can-bo/{staff_dossier}/process/", staff=True,
                   body=b"note=Ti%E1%BA%BFp+t%E1%BB%A5c+th%E1%BB%A5+l%C3%BD",
                   same=(f"302 /ho-so/can-bo/{staff_dossier}/?xong=*", "409"), form_once=True),
              # the throw-away app whose table gains a column in the release phase (bench/continuity_release)
              Kind("release-probe-read", "GET", "/release-probe/"),
              Kind("release-probe-write", "POST", "/release-probe/", body=b"",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})]
    return kinds


# ---------------------------------------------------------------------------------------------------- processes
class Platform:
    """The processes of the production set-up, started and stopped by the harness (a service manager's job)."""

    def __init__(self, env: dict, workers: int, out: Path, roll: str = "surge"):
        self.env, self.workers, self.out, self.roll_kind = env, workers, out, roll
        self.app_ports = [free_port(), free_port()]
        self.port_of: dict[str, int] = {}
        self.bouncer_port, self.nginx_port = free_port(), free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.task_worker_restarts = 0
        self.release = 1       # the probe's release the instances started from now on run

    def gunicorn(self, name: str, port: int) -> None:
        conf = ROOT / "deploy" / "gunicorn.conf.py"
        self.port_of[name] = port
        self.procs[name] = service(
            [str(VENV_BIN / "gunicorn"), "hopnhat.wsgi:application", "-c", str(conf), "-w", str(self.workers),
             "-b", f"127.0.0.1:{port}", "--pid", str(self.out / f"{name}-{port}.pid")],
            env=probe_env(self.env, self.release), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=(self.out / f"{name}.log").open("a"))

    def task_worker(self) -> None:
        self.procs["db_worker"] = service(["nice", "-n", BATCH_NICE["n"], str(VENV_BIN / "hopnhat"), "db_worker"],
                                          weight_nice=int(BATCH_NICE["group"]), env=self.env, cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=(self.out / "db_worker.log").open("a"))

    def start(self, map_file: Path, old_hosts: list[str]) -> None:
        for i, port in enumerate(self.app_ports):
            self.gunicorn(f"gunicorn-{'ab'[i]}", port)
        self.procs["bouncer"] = service(
            [str(VENV_BIN / "hopnhat"), "portal", "bouncer", "--bind", f"127.0.0.1:{self.bouncer_port}",
             "--workers", "1", "--json"], env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=(self.out / "bouncer.log").open("a"))
        self.task_worker()
        prefix = self.out / "nginx"
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True)
        conf = prefix / "nginx.conf"
        self.map_file, self.old_hosts = map_file, old_hosts
        self.write_nginx()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.procs["nginx"] = service([nginx, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
        for port in self.app_ports:
            wait_healthy(port)
        wait_port(self.bouncer_port)
        wait_port(self.nginx_port)

    def workers_of(self, name: str) -> list[int]:
        master = self.procs[name].pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def write_nginx(self, down: frozenset = frozenset()) -> None:
        conf = self.out / "nginx" / "nginx.conf"
        conf.write_text(nginx_conf(self.out / "nginx", self.nginx_port, self.app_ports, self.bouncer_port,
                                   self.map_file, self.old_hosts, down))

    def reload_nginx(self) -> None:
        """nginx -s reload: new workers on the new configuration; the old ones finish what they hold, then exit."""
        self.procs["nginx"].send_signal(signal.SIGHUP)
        time.sleep(1.5)

    def roll(self, name: str, timeout: float = 180) -> dict:
        return self.roll_surge(name, timeout) if self.roll_kind == "surge" else self.roll_drain(name, timeout)

    def roll_surge(self, name: str, timeout: float = 180) -> dict:
        """One instance onto the new release without ever serving with fewer workers: the new release starts
        beside the old one on a port of its own (its master imports and warms Django at low priority before it
        forks, deploy/gunicorn.conf.py), is checked on that port (/healthz), joins nginx's upstream while the old
        instance leaves it (one reload), and only then is the old one stopped gracefully (TERM: each worker
        finishes the request it holds)."""
        started = time.monotonic()
        old, old_port, new_port = self.procs[name], self.port_of[name], free_port()
        self.procs[f"{name} (old)"] = old      # stopped with the rest if anything below fails
        self.gunicorn(name, new_port)
        with event(f"release start {name} beside the old"):
            wait_healthy(new_port, timeout=timeout)
        self.app_ports.append(new_port)
        with event(f"release switch nginx to the new {name}"):
            self.write_nginx(down=frozenset({old_port}))
            self.reload_nginx()
        with event(f"release stop the old {name}"):
            old.terminate()
            old.wait(timeout=timeout)
            del self.procs[f"{name} (old)"]
            self.app_ports.remove(old_port)
            self.write_nginx()
            self.reload_nginx()
        return {"instance": name, "kind": "surge", "old_master": old.pid, "new_master": self.procs[name].pid,
                "old_port": old_port, "new_port": new_port, "new_workers": self.workers_of(name),
                "roll_s": round(time.monotonic() - started, 1)}

    def roll_drain(self, name: str, timeout: float = 180) -> dict:
        """One instance onto the new release while the other serves: out of nginx's upstream (reload: nothing
        new is sent to it), stopped gracefully (TERM: each worker finishes the request it holds), started on the
        new code, checked on its own port (/healthz), and back into the upstream."""
        started = time.monotonic()
        port = self.port_of[name]
        old_pid = self.procs[name].pid
        self.write_nginx(down=frozenset({port}))
        self.reload_nginx()
        self.procs[name].terminate()
        self.procs[name].wait(timeout=timeout)
        self.gunicorn(name, port)
        wait_healthy(port, timeout=timeout)
        self.write_nginx()
        self.reload_nginx()
        return {"instance": name, "kind": "drain", "old_master": old_pid, "new_master": self.procs[name].pid,
                "new_workers": self.workers_of(name), "roll_s": round(time.monotonic() - started, 1)}

    def supervise_task_worker(self, stop: threading.Event) -> None:
        """Restart=always, as systemd would (RestartSec=1)."""
        while not stop.is_set():
            if self.procs["db_worker"].poll() is not None:
                time.sleep(1)
                self.task_worker()
                self.task_worker_restarts += 1
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


# ---------------------------------------------------------------------------------------------------- old system
COLUMNS = ["MaHoSo", "MaTTHC", "ChuHoSo", "SoDinhDanh", "SoDienThoai", "DiaChi", "MaDonVi", "TrangThai",
           "NgayTiepNhan", "NgayHenTra", "KenhThucHien", "CapNhat"]


def mariadb(database: str | None = None, user: str = "root", password: str = ""):
    import pymysql

    return pymysql.connect(host="127.0.0.1", port=3306, user=user, password=password, database=database,
                           charset="utf8mb4", autocommit=True)


def old_system_create(procedure: str, agency: str, rows: int) -> None:
    conn = mariadb()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {MARIADB_DB}")
        cur.execute(f"CREATE DATABASE {MARIADB_DB} CHARACTER SET utf8mb4")
        cur.execute(f"CREATE TABLE {MARIADB_DB}.ho_so (MaHoSo VARCHAR(40) PRIMARY KEY, MaTTHC VARCHAR(40), "
                    "ChuHoSo VARCHAR(200), SoDinhDanh VARCHAR(20), SoDienThoai VARCHAR(20), DiaChi VARCHAR(300), "
                    "MaDonVi VARCHAR(40), TrangThai VARCHAR(20), NgayTiepNhan VARCHAR(20), NgayHenTra VARCHAR(20), "
                    "KenhThucHien VARCHAR(4), CapNhat DATETIME(6) NOT NULL)")
        cur.execute(f"CREATE USER IF NOT EXISTS '{WRITER_USER}'@'127.0.0.1' IDENTIFIED BY 'writer'")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE ON {MARIADB_DB}.* TO '{WRITER_USER}'@'127.0.0.1'")
    conn.close()
    writer = OldSystemWriter(procedure, agency, OUT / "writer.jsonl")
    for _ in range(rows):
        writer.write_one(random.Random(1))


def old_system_writable(writable: bool) -> None:
    """Freeze at the source: the old system's account may only read (what the freeze step means for it)."""
    conn = mariadb()
    with conn.cursor() as cur:
        verb = "GRANT" if writable else "REVOKE"
        cur.execute(f"{verb} INSERT, UPDATE ON {MARIADB_DB}.* {'TO' if writable else 'FROM'} "
                    f"'{WRITER_USER}'@'127.0.0.1'")
    conn.close()


class OldSystemWriter:
    """The old one-door system's desk: a new dossier about every `interval` s and an update of an earlier one.
    Each attempt goes to a log line: the code, whether it was accepted, and the refusal's message."""

    def __init__(self, procedure: str, agency: str, log: Path):
        self.procedure, self.agency, self.log = procedure, agency, log
        self.n = sum(1 for _ in log.open()) if log.exists() else 0

    def write_one(self, rng) -> dict:
        import pymysql

        self.n += 1
        code = f"{self.agency}-{RUN_TAG}-{self.n:04d}"
        phone = f"09{rng.randrange(10**8):08d}"
        entry = {"code": code, "phone": phone, "at": time.time()}
        try:
            conn = mariadb(MARIADB_DB, WRITER_USER, "writer")
            with conn.cursor() as cur:
                cur.execute("INSERT INTO ho_so VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,NOW(6))",
                            (code, self.procedure, f"Người nộp {self.n}", f"0021900{self.n:05d}", phone,
                             "Tổ 1, phường Hà Giang 1, tỉnh Tuyên Quang", self.agency, "receiving",
                             "07/12/2026 08:30", "10/12/2026", "1"))
                if self.n > 1:
                    cur.execute("UPDATE ho_so SET TrangThai='processing', CapNhat=NOW(6) WHERE MaHoSo=%s",
                                (f"{self.agency}-{RUN_TAG}-{rng.randrange(1, self.n):04d}",))
            conn.close()
            entry["accepted"] = True
        except pymysql.MySQLError as exc:
            entry.update(accepted=False, refused=str(exc.args[-1]))
        with self.log.open("a") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry


def writer_loop(procedure: str, agency: str, log: Path, interval: float, stop: threading.Event) -> None:
    writer, rng = OldSystemWriter(procedure, agency, log), random.Random(7)
    while not stop.is_set():
        writer.write_one(rng)
        stop.wait(interval)


def mapping_file(procedure_full: str) -> Path:
    fields = {"code": {"from": "MaHoSo", "required": True}, "procedure": "MaTTHC",
              "applicant_name": {"from": "ChuHoSo", "required": True}, "id_hash": "SoDinhDanh",
              "phone": "SoDienThoai", "address": "DiaChi", "agency": "MaDonVi",
              "status": {"from": "TrangThai", "map": "trangthai"}, "received_at": "NgayTiepNhan",
              "due_date": {"from": "NgayHenTra", "type": "date"}, "channel": "KenhThucHien"}
    from hopnhat.dossiers import samples

    mapping = {"system": OLD_SYSTEM, "system_type": "tthc", "stream": "ho_so", "importer": "dossiers.dossier",
               "source": {"kind": "sql", "url": f"mysql+pymysql://root@127.0.0.1:3306/{MARIADB_DB}?charset=utf8mb4",
                          "table": "ho_so", "key": "MaHoSo", "cursor": "CapNhat"},
               "pii": ["SoDinhDanh"], "fields": fields, "value_maps": {"trangthai": samples.DVC_STATUS}}
    path = OUT / "mapping.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False, indent=2))
    return path


# ---------------------------------------------------------------------------------------------------- the run
def fresh_database(db_name: str, env: dict) -> dict:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    started = time.monotonic()
    hopnhat(env, "demo", "--no-serve")
    return {"demo_load_s": round(time.monotonic() - started, 1)}


def fixtures(map_file: Path) -> dict:
    """What the mix asks for, taken from the demo data: redirects the map holds, old-host paths it leaves to the
    bouncer, the demo's fresh dossiers (their applicants' phones are in dossiers/demo.py), one staff dossier."""
    from django.contrib.auth import get_user_model

    from hopnhat.dossiers import demo as dossiers_demo
    from hopnhat.dossiers.models import Dossier, Procedure, Status
    from hopnhat.portal.crosswalk.edge import write_nginx_map
    from hopnhat.portal.crosswalk.models import OldHost

    with map_file.open("w", encoding="utf-8") as out:
        edge = write_nginx_map(out)
    entries = re.findall(r'^    "([^"/]+)(/[^"]*)" "[^"]*";$', map_file.read_text(encoding="utf-8"), re.M)
    old_urls = entries[:: max(1, len(entries) // 4)][:4]
    old_hosts = sorted(set(OldHost.objects.filter(site__live=True).values_list("host", flat=True)))
    bounced = [(host, f"/Tin-Tuc/trang-khong-con-{i}.html") for i, host in enumerate(old_hosts[:2])]
    lookups = []
    for name, phone, *_ in dossiers_demo.FRESH[:2]:
        dossier = Dossier.objects.filter(applicant_name=name).order_by("pk").first()
        lookups += [{"code": dossier.code, "phone": phone[-4:]}, {"code": dossier.code, "phone": "0000"}]
    official = get_user_model().objects.get(username=STAFF[0])
    staff_dossier = (Dossier.objects.filter(assignee=official, status__in=[Status.RECEIVED, Status.PROCESSING])
                     .order_by("pk").first())
    procedure = Procedure.objects.get(code=dossiers_demo.FRESH[0][3])
    register_old_system(staff_dossier.agency)
    return {"edge": edge, "old_urls": old_urls, "old_hosts": old_hosts, "bounced": bounced, "lookups": lookups,
            "staff_dossier": staff_dossier.pk, "agency": staff_dossier.agency.code, "procedure": procedure.code}


def register_old_system(agency) -> None:
    """The old one-door system in the register of old systems (a run of a system the register does not hold is
    refused; an empty register, as in the test database, holds no one to it)."""
    from hopnhat.consolidation.inventory.models import OldSystem, SystemType
    from hopnhat.org.models import AdminUnit

    if not OldSystem.objects.exists() or OldSystem.objects.filter(code=OLD_SYSTEM).exists():
        return
    unit = agency.unit or AdminUnit.objects.order_by("pk").first()
    OldSystem.objects.create(code=OLD_SYSTEM, name="Một cửa điện tử (hệ thống cũ của bài đo liên tục)",
                             system_type=SystemType.TTHC, agency=agency, new_unit=unit)


def run_phase(load: Load, name: str, action, min_s: float) -> dict:
    """Load goes on while `action()` runs, and for at least `min_s` seconds in all."""
    load.phase = name
    METER.mark(f"{name}:start")
    started = time.monotonic()
    detail = action() if action else None
    rest = min_s - (time.monotonic() - started)
    if rest > 0:
        time.sleep(rest)
    METER.mark(f"{name}:end")
    return {"seconds": round(time.monotonic() - started, 1), **({"detail": detail} if detail is not None else {}),
            "cpu": METER.between(f"{name}:start", f"{name}:end")}


METER = CpuMeter()


def cutover_walk(env: dict, load: Load, platform: Platform, fx: dict, args) -> dict:
    """The whole cutover through the CLI while the writer keeps the old system busy; then a route-back and a
    second switch. Returns every step's result, the freeze checks and the reconciliation."""
    import multiprocessing

    log = OUT / "writer.jsonl"
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    writer = ctx.Process(target=writer_loop, args=(fx["procedure"], fx["agency"], log, args.writer_interval, stop))
    writer.start()
    steps, checks = [], {}

    def step(name: str) -> None:
        started = time.monotonic()
        with event(f"cutover {name}"):
            result = hopnhat(env, "consolidate", "cutover", OLD_SYSTEM, name)
        steps.append({"step": name, "state": result.get("state"), "s": round(time.monotonic() - started, 1),
                      **({"runs": [{k: r[k] for k in ("stream", "balanced", "totals")} for r in result["runs"]]}
                         if result.get("runs") else {})})

    def writes(since: float) -> list[dict]:
        return [e for e in map(json.loads, log.open()) if e["at"] >= since]

    try:
        for round_no in (1, 2):
            for _ in range(args.pre_syncs):
                time.sleep(args.step_pause)
                step("pre-sync")
            time.sleep(args.step_pause)
            old_system_writable(False)
            frozen_at = time.time()
            step("freeze")
            time.sleep(max(args.step_pause, 3 * args.writer_interval))
            deadline = time.monotonic() + 120      # the old system's desk tries at least once while frozen (a busy
            while len(writes(frozen_at)) < 2 and time.monotonic() < deadline:    # machine may delay its writer)
                time.sleep(0.2)
            checks[f"freeze_{round_no}"] = freeze_checks(load, platform, fx, writes(frozen_at))
            step("final-sync")
            step("verify")
            step("switch")
            checks[f"reconciliation_{round_no}"] = reconcile(log, frozen_at)
            time.sleep(args.step_pause)
            step("monitor")
            if round_no == 1:
                time.sleep(args.step_pause)
                step("route-back")
                old_system_writable(True)     # the old system takes dossiers again until the second switch
    finally:
        stop.set()
        writer.join(timeout=30)
    entries = list(map(json.loads, log.open()))
    return {"steps": steps, "checks": checks,
            "writer": {"attempts": len(entries), "accepted": sum(e.get("accepted", False) for e in entries)}}


def freeze_checks(load: Load, platform: Platform, fx: dict, frozen_writes: list[dict]) -> dict:
    """During the freeze: the old system refuses its writers with a clear message; a step here on a dossier the
    old system holds is refused with one too; every read path (each request kind of the mix, and a look-up of a
    dossier of the old system) keeps answering as in the steady state."""
    from hopnhat.dossiers.models import DossierAlias

    refused = [e for e in frozen_writes if not e.get("accepted")]
    held = DossierAlias.objects.filter(source_system=OLD_SYSTEM).order_by("pk").values_list("dossier_id", flat=True)
    act = Kind("act-on-held", "POST", f"/ho-so/can-bo/{held.first()}/process/", staff=True, body=b"note=x")
    status, message = staff_answer(load, act)
    reads = {k.name: load.one(k)[0] == load.expected[k.name] for k in load.kinds if k.method == "GET"
             or k.name.startswith("lookup")}
    return {"old_system_writes": len(frozen_writes), "old_system_refused": len(refused),
            "old_system_message": refused[0]["refused"] if refused else None,
            "old_system_refuses_all": bool(frozen_writes) and len(refused) == len(frozen_writes),
            "platform_step_on_held_dossier": {"status": status, "message": message},
            "platform_refuses_with_message": status in (403, 409) and bool(message),
            "reads_answering": all(reads.values()), "reads_checked": len(reads)}


def staff_answer(load: Load, kind: Kind) -> tuple[int, str]:
    headers = {"Host": HOST, "Cookie": load.session["cookie"], "X-CSRFToken": load.session["csrf"],
               "Origin": f"https://{HOST}", "Content-Type": "application/x-www-form-urlencoded"}
    conn = http.client.HTTPConnection("127.0.0.1", load.port, timeout=30)
    conn.request(kind.method, kind.path, body=kind.body, headers=headers)
    response = conn.getresponse()
    html = response.read().decode("utf-8", "replace")
    found = re.search(r'class="[^"]*(?:error|alert|message)[^"]*"[^>]*>\s*(.*?)\s*<', html, re.S)
    return response.status, (found.group(1).strip()[:300] if found else "")


def reconcile(log: Path, frozen_at: float) -> dict:
    """Every dossier the writer created before the freeze is here, none twice (by its code in the old system)."""
    from django.db.models import Count

    from hopnhat.dossiers.models import Dossier, DossierAlias

    created = {e["code"] for e in map(json.loads, log.open()) if e.get("accepted") and e["at"] < frozen_at}
    aliases = DossierAlias.objects.filter(source_system=OLD_SYSTEM, code__in=created)
    present = set(aliases.values_list("code", flat=True))
    twice = list(Dossier.objects.filter(aliases__source_system=OLD_SYSTEM).values("aliases__code")
                 .annotate(n=Count("pk")).filter(n__gt=1).values_list("aliases__code", flat=True))
    return {"created_before_freeze": len(created), "present": len(present & created),
            "missing": sorted(created - present)[:20], "twice": twice[:20],
            "ok": created == present and not twice}


def release(env: dict, platform: Platform, load: Load) -> dict:
    """A release: the migrations first (written to roll: the old code keeps working on the new schema), then
    each gunicorn instance reloaded in turn while the other serves — old and new code side by side."""
    started = time.monotonic()
    if IN_PROCESS["on"]:
        import io

        from django.core.management import call_command

        out = io.StringIO()
        call_command("migrate", "--no-input", stdout=out)
        stdout = out.getvalue()
    else:
        done = batch([str(VENV_BIN / "hopnhat"), "migrate", "--no-input"], dict(env, PGOPTIONS="-c lock_timeout=5000"))
        if done.returncode:
            raise RuntimeError(f"migrate exited {done.returncode}: {done.stderr[-2000:]}")
        stdout = done.stdout
    applied = [line.strip() for line in stdout.splitlines() if line.strip().startswith("Applying")]
    # the release's own schema change: release 2 of the probe adds a column and backfills it while release 1
    # serves on the new schema
    applied += probe_migrate(env, 2)
    migrated_at = time.monotonic()
    migrate_s = round(migrated_at - started, 1)
    EVENTS.append((started, migrated_at, "release migrate"))
    platform.release = 2
    side_by_side = [{"after": "migrate", **probe_each_instance(platform)}]
    reloads = []
    for name in ("gunicorn-a", "gunicorn-b"):
        with event(f"release roll {name}"):
            reloads.append(platform.roll(name))
        side_by_side.append({"after": f"roll {name}", **probe_each_instance(platform)})
    after = [(at, r) for at, r in list(load.releases) if at >= migrated_at]
    first_back = min((at for at, r in after if r == 2), default=None)
    return {"migrate_s": migrate_s, "migrations_applied": applied, "reloads": reloads,
            "probe_on_each_instance": side_by_side,
            "probe_answers_after_migrate": {
                "release_1_on_new_schema": sum(r == 1 for _, r in after),
                "release_2": sum(r == 2 for _, r in after),
                "release_1_while_release_2_served": sum(r == 1 for at, r in after
                                                        if first_back is not None and at >= first_back)}}


def probe_each_instance(platform: Platform) -> dict:
    """Each serving instance asked directly (its own port): which release it runs, and whether it reads and
    writes the probe's table on the schema as it now is."""
    answers = {}
    for name, port in sorted(platform.port_of.items()):
        got = []
        for method in ("GET", "POST"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(method, "/release-probe/", body=b"" if method == "POST" else None,
                         headers={"Host": HOST, "X-Forwarded-Proto": "https",
                                  "Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            ok = response.status == 200 and json.loads(body).get("ok") is True
            got.append((ok, json.loads(body).get("release") if ok else response.status))
        answers[name] = {"release": got[0][1], "reads": got[0][0], "writes": got[1][0]}
    return answers


def kill_workers(platform: Platform, settle_s: float) -> dict:
    """kill -9 a web worker (gunicorn's master spawns another) and the task worker (restarted as systemd
    would), then the other instance's worker too."""
    killed = []
    for name in ("gunicorn-a", "db_worker", "gunicorn-b"):
        if name == "db_worker":
            pid = platform.procs["db_worker"].pid
        else:
            pid = platform.workers_of(name)[0]
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        killed.append({"process": name, "pid": pid, "at_s": killed_at})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            back = (platform.procs["db_worker"].pid != pid and platform.procs["db_worker"].poll() is None
                    if name == "db_worker" else len(platform.workers_of(name)) >= platform.workers)
            if back:
                killed[-1]["back_after_s"] = round(time.monotonic() - killed[-1].pop("at_s"), 1)
                break
            time.sleep(0.1)
        time.sleep(settle_s)
        EVENTS.append((killed_at, time.monotonic(), f"kill -9 {name} and its return"))
    return {"killed": killed, "task_worker_restarts": platform.task_worker_restarts}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-name", default="bench_hopnhat_continuity")
    parser.add_argument("--reuse-db", action="store_true", help="skip the demo load (a database left by --keep-db)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--steady-s", type=float, default=20, help="seconds of the steady phase (and the minimum "
                                                                     "of each other phase)")
    parser.add_argument("--capacity-s", type=float, default=6, help="seconds of the capacity measurement")
    parser.add_argument("--load-share", type=float, default=0.5, help="share of the measured capacity to drive")
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients of the paced mix")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (two instances)")
    parser.add_argument("--writer-interval", type=float, default=0.5, help="seconds between the old system's writes")
    parser.add_argument("--pre-syncs", type=int, default=2)
    parser.add_argument("--step-pause", type=float, default=2, help="seconds between cutover steps")
    parser.add_argument("--steps-during-kill", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the staff steps in the mix while workers are killed: each carries a one-time "
                             "form token, so nginx passes one cut by kill -9 on and it is applied once")
    parser.add_argument("--old-rows", type=int, default=50, help="dossiers in the old system before the first sync")
    parser.add_argument("--control-windows", action=argparse.BooleanOptionalAction, default=True,
                        help="a steady window after each phase: each phase's p99 beside the steady state of the same "
                             "minutes (the machine's other work drifts)")
    parser.add_argument("--batch-nice", default="19", help="nice level of operators' commands, migrate and the task "
                                                           "worker (the web instances run at 0)")
    parser.add_argument("--batch-group-nice", default="7", help="nice of the scheduling group (autogroup) each batch "
                                                                 "process runs in, as CPUWeight= would set it: 7 is "
                                                                 "the weight ratio of the documented production units "
                                                                 "(worker and operators' commands CPUWeight=20, web "
                                                                 "100: 1024/215 ≈ 100/20); 0 gives batch the web's "
                                                                 "weight")
    parser.add_argument("--roll", choices=("surge", "drain"), default="surge",
                        help="surge: the new instance starts beside the old one and takes over (never fewer workers); "
                             "drain: the old one leaves the upstream, restarts, comes back (half the workers then)")
    parser.add_argument("--probe-rows", type=int, default=20000,
                        help="rows of the release probe's table before release 2 adds and backfills its column")
    return parser


def main(argv: list[str] | None = None) -> dict:
    args = parser().parse_args(argv)
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        sys.exit("needs nginx (scripts/services.sh ensure_nginx)")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    db_url = f"postgres://postgres@127.0.0.1:5432/{args.db_name}"
    env = base_env(db_url, ROOT / "bench" / "out" / "continuity-var")
    figures: dict = {"database": args.db_name, "cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                     "gunicorn": {"instances": 2, "workers_each": args.workers}, "clients": args.clients}
    if not args.reuse_db:
        figures.update(fresh_database(args.db_name, env))
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    figures.update(run(args, env))
    if not args.keep_db:
        import psycopg
        from django.db import connection

        connection.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
    return figures


def run(args, env: dict) -> dict:
    """Everything after the database is there (the test suite calls this on its own test database)."""
    from django.db import connection

    from hopnhat.consolidation.models import Cutover

    BATCH_NICE.update(n=str(args.batch_nice), group=str(args.batch_group_nice))
    # the old system's MariaDB database and writer account belong to this run's database: two runs at once (the
    # benchmark and the test suite's short run) must not freeze or grant each other's writer
    global MARIADB_DB, WRITER_USER
    suffix = re.sub(r"\W", "_", connection.settings_dict["NAME"])[-24:]
    MARIADB_DB, WRITER_USER = f"hn_old_{suffix}", f"hn_writer_{suffix}"
    figures: dict = {"batch_nice": int(args.batch_nice), "batch_group_nice": int(args.batch_group_nice),
                     "roll": args.roll}
    OUT.mkdir(parents=True, exist_ok=True)

    Cutover.objects.filter(system=OLD_SYSTEM).delete()    # a reused database: this run walks the cutover anew
    fx = fixtures(OUT / "hopnhat-redirects.map")
    old_system_create(fx["procedure"], fx["agency"], args.old_rows)
    started = time.monotonic()
    first = hopnhat(env, "consolidate", "run", str(mapping_file(fx["procedure"])))
    figures["old_system"] = {"system": OLD_SYSTEM, "rows_first_import": args.old_rows,
                             "first_import_s": round(time.monotonic() - started, 1),
                             "first_import": {k: first.get(k) for k in ("balanced", "totals") if k in first}}
    from hopnhat.dossiers.models import DossierAlias

    held = DossierAlias.objects.filter(source_system=OLD_SYSTEM).order_by("pk").first()
    held_phone = next((e["phone"] for e in map(json.loads, (OUT / "writer.jsonl").open())
                       if held and e["code"] == held.code), "")
    connection.close()
    figures["edge"] = {k: fx["edge"][k] for k in ("entries", "mappings", "left_to_app")}
    platform = Platform(env, args.workers, OUT, roll=args.roll)
    load = None
    try:
        probe_reset(env["DATABASE_URL"])
        figures["release_probe"] = {"release_1_migrations": probe_migrate(env, 1), "rows": args.probe_rows}
        probe_reset(env["DATABASE_URL"], rows=args.probe_rows)
        platform.start(OUT / "hopnhat-redirects.map", fx["old_hosts"])
        session = sign_in(platform.nginx_port, *STAFF)
        kinds = request_kinds(fx["old_urls"], fx["bounced"], fx["lookups"], fx["staff_dossier"], "khai sinh")
        if held is not None:   # a dossier of the old system, looked up by its code: a read path of the cutover
            kinds.append(Kind("lookup-old-system", "POST", "/ho-so/api/tra-cuu/", weight=1, spread_clients=True,
                              headers={"Content-Type": "application/json"},
                              body=json.dumps({"code": held.code, "phone": held_phone[-4:]}).encode()))
        load = Load(platform.nginx_port, kinds, session, args.clients)
        METER.db_name = connection.settings_dict["NAME"]
        METER.start()
        figures["steady_answers"] = load.record_steady_answers()
        stop_supervisor = threading.Event()
        threading.Thread(target=platform.supervise_task_worker, args=(stop_supervisor,), daemon=True).start()
        # capacity: as many clients as the machine has cores × 4, unpaced, briefly
        capacity = Load(platform.nginx_port, kinds, session, 4 * (os.cpu_count() or 1))
        capacity.expected = load.expected
        capacity.phase = "capacity"
        threads = capacity.start()
        time.sleep(args.capacity_s)
        capacity.stop.set()
        for t in threads:
            t.join()
        measured = capacity.summary("capacity")
        figures["capacity"] = {"requests_per_s": round(measured["requests"] / args.capacity_s, 1),
                               "p50_ms": measured["p50_ms"], "p99_ms": measured["p99_ms"],
                               "failed": measured["failed"]}
        load.rate = round(args.load_share * figures["capacity"]["requests_per_s"], 1)
        figures["driven_requests_per_s"] = load.rate
        load.next_slot = time.monotonic()
        clients = load.start()
        phases, controls = {}, {}
        time.sleep(2)   # paced clients settle before counting starts
        phases["steady"] = run_phase(load, "steady", None, args.steady_s)
        phases["cutover"] = run_phase(load, "cutover", lambda: cutover_walk(env, load, platform, fx, args),
                                      args.steady_s)
        if args.control_windows:
            controls["steady after cutover"] = run_phase(load, "steady after cutover", None, args.steady_s)
        phases["release"] = run_phase(load, "release", lambda: release(env, platform, load), args.steady_s)
        if args.control_windows:
            controls["steady after release"] = run_phase(load, "steady after release", None, args.steady_s)
        if not args.steps_during_kill:
            load.weighted = [k for k in load.all_weighted if k.name != "staff-act"]
            while load.in_flight.get("staff-act"):      # the steps already sent are answered before any kill
                time.sleep(0.02)
        phases["kill"] = run_phase(load, "kill", lambda: kill_workers(platform, 2), args.steady_s)
        if args.control_windows:
            controls["steady after kill"] = run_phase(load, "steady after kill", None, args.steady_s)
        load.phase = "after"
        load.stop.set()
        stop_supervisor.set()
        for client in clients:     # what is in flight is answered before anything stops
            client.join(timeout=60)
    finally:
        with contextlib.suppress(NameError):
            stop_supervisor.set()
        platform.stop()
        probe_reset(env["DATABASE_URL"])
    steady_p99 = load.summary("steady")["p99_ms"]
    for name, phase in phases.items():
        phase.update(load.summary(name))
        phase["p99_ratio_to_steady"] = round(phase["p99_ms"] / steady_p99, 2) if steady_p99 else None
        phase["slow_requests"] = load.slow(name, 2 * steady_p99 / 1000, EVENTS)
        phase["targets_met"] = {"0 failed": phase["failed"] == 0,
                                "p99 <= 2x steady": phase["p99_ms"] <= 2 * steady_p99}
        # the other people's work on a shared machine drifts over minutes: the same request mix in quiet
        # windows right before and after the phase, under the same background load, is the fairer steady state
        before = {"cutover": "steady", "release": "steady after cutover", "kill": "steady after release"}.get(name)
        after = f"steady after {name}"
        if controls and before:
            adjacent = load.pooled([before, after])
            phase["adjacent_steady"] = {"windows": [before, after], **adjacent,
                                        "p99_ratio": round(phase["p99_ms"] / adjacent["p99_ms"], 2)
                                        if adjacent["p99_ms"] else None}
        # the same phase without its operator events: what the background alone gives in those minutes
        phase["outside_events"] = load.pooled([name], exclude=EVENTS)
    for name, control in controls.items():
        control.update(load.summary(name))
    figures["phases"] = phases
    figures["control_windows"] = controls
    checks = phases["cutover"]["detail"]["checks"]
    figures["targets_met"] = {
        "0 failed in every phase": all(p["failed"] == 0 for p in phases.values()),
        "p99 within 2x steady": all(p["p99_ms"] <= 2 * steady_p99 for p in phases.values()),
        "freeze refuses old-system writes, reads answer": all(
            c["old_system_refuses_all"] and c["platform_refuses_with_message"] and c["reads_answering"]
            for k, c in checks.items() if k.startswith("freeze")),
        "reconciliation: all present, none twice": all(c["ok"] for k, c in checks.items()
                                                       if k.startswith("reconciliation")),
    }
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
