"""The keyed audit chain and the shared rate counters on PostgreSQL (issue 13, findings 1 and 6).

    .venv/bin/python bench/audit_chain.py [--n 20000] [--hits 2000] [--keep] [--db NAME]
        [--pg postgres://postgres@127.0.0.1:5432/postgres]

Times, in a fresh database: `audit.record` (HMAC-SHA256, head row locked) per entry for N entries; `verify_chain`
over them (entries/s, with the checkpoint comparison); `audit.checkpoint` (verify + append + fsync); one
`ratelimit.count` (INSERT … ON CONFLICT … RETURNING on core_ratecounter) per look-up, over `--hits` calls on a
few hundred names. Prints one JSON document.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from harness import DEFAULT_PG, run_child_in_database

BENCH_DB = "bench_hopnhat_audit"


def _ms(values):
    ordered = sorted(values)
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3)}


def child(n: int, hits: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    os.environ["HOPNHAT_AUDIT_CHECKPOINT_LOG"] = os.path.join(tempfile.mkdtemp(), "checkpoints.log")
    import django

    django.setup()
    from django.core.management import call_command

    from hopnhat.core import audit, ratelimit
    from hopnhat.core.models import AuditEntry, AuditHead, RateCounter

    call_command("migrate", verbosity=0)
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
    AuditHead.objects.all().delete()
    RateCounter.objects.all().delete()
    record = []
    for i in range(n):
        started = time.perf_counter()
        audit.record("bench:user", "org.roleassignment.update", ("org.roleassignment", i),
                     before={"role": "official"}, after={"role": "unit_admin"}, changed=["role"])
        record.append(time.perf_counter() - started)
    started = time.perf_counter()
    point = audit.checkpoint()
    checkpoint_s = time.perf_counter() - started
    started = time.perf_counter()
    report = audit.verify_chain()
    verify_s = time.perf_counter() - started
    counts = []
    for i in range(hits):
        started = time.perf_counter()
        ratelimit.count(f"lookup:ip:198.51.100.{i % 250}", 60)
        counts.append(time.perf_counter() - started)
    print(json.dumps({
        "benchmark": "audit_chain", "n": n, "ok": report.ok, "checkpoint_seq": point.seq,
        "record": _ms(record), "verify_s": round(verify_s, 3),
        "verify_entries_per_s": round(n / verify_s) if verify_s else None,
        "checkpoint_s": round(checkpoint_s, 3), "ratelimit_count": {"calls": hits, **_ms(counts)},
        "loadavg": os.getloadavg()[0],
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--pg", default=os.environ.get("HOPNHAT_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.n, args.hits)
        return
    run_child_in_database(script=os.path.abspath(__file__), database=args.db, pg_url=args.pg, keep=args.keep,
                          child_args=["--n", str(args.n), "--hits", str(args.hits)], benchmark="audit_chain")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
