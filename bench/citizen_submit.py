"""Online submissions against the production set-up (issue 17): gunicorn (deploy/gunicorn.conf.py) + PostgreSQL over
loopback, concurrent signed-in citizens each opening a procedure's form and submitting it with two 2 MB papers
(multipart, as a browser without JavaScript sends it; clamd scans every paper), beside the same number of bare
uploads of the same two files to the same server in the same run (the resumable-upload endpoint: create + one
PATCH per file, bytes to disk, no scan, no dossier) — then a third phase of submissions during which a gunicorn
worker is killed (kill -9) mid-run, every cut request retried by its client with the same submission token as a
person pressing "Nộp hồ sơ" again would, and the database checked: every submission the clients made is exactly
one dossier with both its papers, byte for byte.

    .venv/bin/python bench/citizen_submit.py [--submissions 60] [--clients 6] [--workers 2] [--db-name …] [--keep-db]

Prints one JSON document: per phase requests/s and p50/p95 (ms) of the form page, the submission and the bare
upload; ratios submission / bare upload; the kill phase's cut requests and retries; lost and doubled dossiers.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b64encode
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from continuity import PG_ADMIN, VENV_BIN, free_port, wait_healthy  # noqa: E402
from harness import BENCH_PII_KEY  # noqa: E402

PROCEDURE = "1.001193"            # đăng ký khai sinh: two papers, an e-form (dossiers/catalogue_samples.py)
PLACE = "Phường Trúc Bạch, Quận Ba Đình"   # an old ward, today in Phường Ba Đình
PASSWORD = "mat-khau-ban-benchmark-1"  # noqa: S105 — the benchmark's own throw-away citizens
PAPER_BYTES = 2 * 1024 * 1024
FORM = {"f-ho_chu_dem_ten_cua_tre": "Nguyễn Minh An", "f-ngay_thang_nam_sinh_cua_tre": "03/11/2025",
        "f-gioi_tinh": "Nam", "f-noi_sinh": "Bệnh viện Phụ sản Hà Nội", "f-quan_he_voi_tre": "Mẹ"}


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def paper(seed: str) -> bytes:
    """2 MB that look like a scanned PDF, different for every submission (the store is by checksum)."""
    block = hashlib.sha256(seed.encode()).digest() * 64
    tail = b"\ntrailer\n%%EOF\n"
    body = (block * (PAPER_BYTES // len(block) + 1))[:PAPER_BYTES - 9 - len(tail)]
    return b"%PDF-1.4\n" + body + tail


# ---------------------------------------------------------------------------------------------------- set-up
def prepare(db_name: str, env: dict, clients: int) -> None:
    """A fresh database: migrations, Quận Ba Đình's units and agencies as the reform left them, the two old units'
    procedure catalogues merged through the engine, one VNeID citizen per client."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from hopnhat.consolidation.engine import run_mapping
    from hopnhat.consolidation.mapping import Mapping
    from hopnhat.core.pii import keyed_hash
    from hopnhat.dossiers import catalogue_samples
    from hopnhat.dossiers.tests.conftest import build_hanoi, close_old_agencies

    close_old_agencies(build_hanoi())
    for spec in catalogue_samples.mappings(Path(env["HOPNHAT_VAR_DIR"]) / "catalogue"):
        run_mapping(Mapping.from_dict(spec), actor="system:bench")
    for i in range(clients):
        user = get_user_model().objects.create(username="vneid-" + keyed_hash(f"0010850{i:05d}"),
                                               first_name=f"Công dân {i}")
        user.set_password(PASSWORD)
        user.save()
    from django.db import connection

    connection.close()


def citizen_names(clients: int) -> list[str]:
    from hopnhat.core.pii import keyed_hash

    return ["vneid-" + keyed_hash(f"0010850{i:05d}") for i in range(clients)]


# ---------------------------------------------------------------------------------------------------- clients
class Client:
    def __init__(self, base: str, username: str):
        import requests

        # As behind the production nginx: TLS ends there (X-Forwarded-Proto), so the cookies are Secure ones, which
        # requests keeps but will not send over http: they go in a Cookie header of our own.
        self.base, self.session = base, requests.Session()
        self.session.headers["X-Forwarded-Proto"] = "https"
        self.https = base.replace("http://", "https://")
        page = self.req("GET", f"{base}/dang-nhap/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.req("POST", f"{base}/dang-nhap/", data={"csrfmiddlewaretoken": token, "username": username,
                                                               "password": PASSWORD},
                                   headers={"Referer": f"{self.https}/dang-nhap/"}, allow_redirects=False, timeout=60)
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in as {username} answered {answer.status_code}: "
                               f"{re.sub(r'<[^>]+>', ' ', answer.text)[-600:]}")

    def req(self, method: str, url: str, **kwargs):
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        kwargs["headers"] = {**kwargs.get("headers", {}), "Cookie": cookie}
        return self.session.request(method, url, **kwargs)

    def form(self) -> tuple[str, str, float]:
        started = time.perf_counter()
        page = self.req("GET", f"{self.base}/ho-so/thu-tuc/{PROCEDURE}/nop/", timeout=60)
        took = time.perf_counter() - started
        if page.status_code != 200:
            raise RuntimeError(f"form page answered {page.status_code}")
        key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return key, token, took

    def submit(self, key: str, token: str, papers: list[bytes]) -> tuple[int, str, float]:
        data = {"csrfmiddlewaretoken": token, "key": key, "applicant_name": "Công dân", "phone": "0912000111",
                "place": PLACE, **FORM}
        files = {f"paper-{i}": (f"giay-to-{i}.pdf", body, "application/pdf") for i, body in enumerate(papers)}
        started = time.perf_counter()
        answer = self.req("POST", f"{self.base}/ho-so/thu-tuc/{PROCEDURE}/nop/", data=data, files=files,
                                   headers={"Referer": f"{self.https}/ho-so/thu-tuc/{PROCEDURE}/nop/"},
                                   allow_redirects=False, timeout=120)
        return answer.status_code, answer.headers.get("Location", ""), time.perf_counter() - started

    def bare_upload(self, key: str, token: str, papers: list[bytes]) -> float:
        """The same two files to the same server without registration: tus create + one PATCH each."""
        started = time.perf_counter()
        for i, body in enumerate(papers):
            meta = ",".join(f"{k} {b64encode(v.encode()).decode()}" for k, v in
                            (("filename", f"giay-to-{i}.pdf"), ("paper", f"Giấy tờ {i}"), ("key", key)))
            made = self.req("POST", f"{self.base}/ho-so/tai-len/", timeout=60, headers={
                "Tus-Resumable": "1.0.0", "Upload-Length": str(len(body)), "Upload-Metadata": meta,
                "X-CSRFToken": token, "Referer": f"{self.https}/ho-so/thu-tuc/{PROCEDURE}/nop/"})
            if made.status_code != 201:
                raise RuntimeError(f"upload create answered {made.status_code}: {made.text[:200]}")
            location = made.headers["Location"].replace("https://", "http://")
            done = self.req("PATCH", location, data=body, timeout=120, headers={
                "Referer": f"{self.https}/ho-so/thu-tuc/{PROCEDURE}/nop/",
                "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
                "X-CSRFToken": token})
            if done.status_code != 204 or done.headers.get("Upload-Offset") != str(len(body)):
                raise RuntimeError(f"upload PATCH answered {done.status_code}")
        return time.perf_counter() - started


def run_phase(base: str, names: list[str], n: int, kind: str, tag: str, kill=None) -> dict:
    """n operations spread over one thread per citizen. kind: submit | bare. `kill(done)` is called after each
    finished submission (the kill phase kills a worker once enough are done)."""
    form_times, op_times, lock = [], [], threading.Lock()
    made: list[dict] = []
    cut = retries = 0
    counter = iter(range(n))
    clients = [Client(base, name) for name in names]

    def worker(client: Client, who: int) -> None:
        nonlocal cut, retries
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            while True:
                try:
                    key, token, took = client.form()
                    break
                except Exception:   # noqa: BLE001 — cut by the killed worker: open the form again
                    with lock:
                        cut += 1
                    time.sleep(0.5)
            papers = [paper(f"{tag}-{i}-{j}") for j in range(2)]
            if kind == "bare":
                took_op = client.bare_upload(key, token, papers)
                with lock:
                    form_times.append(took)
                    op_times.append(took_op)
                continue
            attempts = 0
            while True:
                attempts += 1
                try:
                    status, location, took_op = client.submit(key, token, papers)
                except Exception:   # noqa: BLE001 — the connection was cut (a killed worker): press Submit again
                    with lock:
                        cut += 1
                    time.sleep(0.5)
                    continue
                if status == 302 and "/da-nop/" in location:
                    break
                if status >= 500 or status == 502:
                    with lock:
                        cut += 1
                    time.sleep(0.5)
                    continue
                raise RuntimeError(f"submission {i} answered {status} {location}")
            with lock:
                retries += attempts - 1
                form_times.append(took)
                op_times.append(took_op)
                made.append({"key": key, "dossier": int(location.rstrip("/").split("/")[-2]),
                             "sha256": sorted(hashlib.sha256(p).hexdigest() for p in papers), "citizen": who})
                done = len(made)
            if kill is not None:
                kill(done)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"operations": len(op_times), "wall_s": round(wall, 2), "per_s": round(len(op_times) / wall, 2),
            "op_p50_ms": pct(op_times, 0.5), "op_p95_ms": pct(op_times, 0.95),
            "form_page_p50_ms": pct(form_times, 0.5), "form_page_p95_ms": pct(form_times, 0.95),
            "cut_requests": cut, "retries": retries, "_made": made}


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def check_dossiers(made: list[dict]) -> dict:
    """Every submission the clients made is one dossier, once, with its two papers byte for byte."""
    from django.db.models import Count

    from hopnhat.dossiers.models import Dossier, OnlineSubmission, SubmittedFile

    keys = [m["key"] for m in made]
    by_key = dict(OnlineSubmission.objects.filter(key__in=keys).values_list("key", "dossier_id"))
    lost = [m["key"] for m in made if m["key"] not in by_key]
    wrong = [m["key"] for m in made if m["key"] in by_key and by_key[m["key"]] != m["dossier"]]
    files_bad = []
    for m in made:
        if m["key"] not in by_key:
            continue
        stored = sorted(SubmittedFile.objects.filter(dossier_id=by_key[m["key"]]).values_list("sha256", flat=True))
        if stored != m["sha256"]:
            files_bad.append(m["key"])
        else:
            for f in SubmittedFile.objects.filter(dossier_id=by_key[m["key"]]):
                with f.file.open("rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() != f.sha256:
                        files_bad.append(m["key"])
    # doubled: more dossiers than submissions (one applicant's dossiers counted against what they submitted)
    per_citizen = {}
    for m in made:
        per_citizen[m["citizen"]] = per_citizen.get(m["citizen"], 0) + 1
    online = Dossier.objects.filter(channel=2).count()
    doubled_papers = (SubmittedFile.objects.values("dossier_id", "sha256").annotate(n=Count("id"))
                      .filter(n__gt=1).count())
    return {"submissions_made": len(made), "dossiers_online": online, "lost": len(lost),
            "doubled": online - len(set(by_key.values())) + doubled_papers, "wrong_dossier": len(wrong),
            "files_not_byte_for_byte": len(files_bad)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=60, help="per phase")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--db-name", default="bench_citizen")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="hopnhat-bench-citizen-"))
    db_url = f"postgres://postgres@127.0.0.1:5432/{args.db_name}"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hopnhat.settings", HOPNHAT_VAR_DIR=str(var_dir),
               HOPNHAT_SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106
               HOPNHAT_PII_HASH_KEY=BENCH_PII_KEY, HOPNHAT_ALLOWED_HOSTS="127.0.0.1,localhost",
               HOPNHAT_LOG_LEVEL="ERROR", DATABASE_URL=db_url, PYTHONUNBUFFERED="1",
               HOPNHAT_WEB_WORKERS=str(args.workers), HOPNHAT_BEHIND_TLS_PROXY="1",
               # as production: notices queue in PostgreSQL for `hopnhat db_worker`, never sent in the request
               HOPNHAT_TASK_BACKEND="django_tasks_db.DatabaseBackend")
    figures: dict = {"benchmark": "citizen_submit", "database": args.db_name, "cpu_count": os.cpu_count(),
                     "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                     "gunicorn_workers": args.workers, "clients": args.clients,
                     "submissions_per_phase": args.submissions, "paper_bytes": PAPER_BYTES, "papers_each": 2}
    started = time.monotonic()
    prepare(args.db_name, env, args.clients)
    figures["setup_s"] = round(time.monotonic() - started, 1)
    port = free_port()
    log = (var_dir / "gunicorn.log").open("a")
    gunicorn = subprocess.Popen([str(VENV_BIN / "gunicorn"), "hopnhat.wsgi:application", "-c",
                                 str(ROOT / "deploy" / "gunicorn.conf.py"), "-w", str(args.workers),
                                 "-b", f"127.0.0.1:{port}"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(port, host="127.0.0.1")
        names = citizen_names(args.clients)
        Client(base, names[0]).form()     # warm the workers' imports and connections
        steady = run_phase(base, names, args.submissions, "submit", "steady")
        bare = run_phase(base, names, args.submissions, "bare", "bare")
        killed: dict = {}

        def kill(done: int) -> None:
            if not killed and done >= args.submissions // 3:
                pids = workers_of(gunicorn.pid)
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.update(pid=pids[0], after_submissions=done, at=time.monotonic())

        during = run_phase(base, names, args.submissions, "submit", "kill", kill=kill)
        made = steady.pop("_made") + during.pop("_made")
        bare.pop("_made")
        figures["phases"] = {"submission": steady, "bare_upload": bare, "submission_with_worker_killed": during}
        figures["ratios"] = {
            "submission_p95_over_bare_upload_p95": round(steady["op_p95_ms"] / bare["op_p95_ms"], 2),
            "submission_p50_over_bare_upload_p50": round(steady["op_p50_ms"] / bare["op_p50_ms"], 2),
            "bare_upload_per_s_over_submission_per_s": round(bare["per_s"] / steady["per_s"], 2)}
        figures["killed_worker"] = {"pid": killed.get("pid"), "after_submissions": killed.get("after_submissions"),
                                    "workers_after": len(workers_of(gunicorn.pid))}
        figures["dossiers"] = check_dossiers(made)
    finally:
        gunicorn.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            gunicorn.wait(timeout=60)
        from django.db import connection

        connection.close()
        if not args.keep_db:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        shutil.rmtree(var_dir, ignore_errors=True)
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
