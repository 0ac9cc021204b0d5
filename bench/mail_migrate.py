"""Mailbox migration IMAP → IMAP: hopnhat's `mail migrate` (verification included) side by side with mbsync (isync)
and Dovecot's own `doveadm sync` through imapc, at the same parallelism, from one "old" Dovecot to one "new"
Dovecot (both of the benchmark's own, on loopback ports). Each tool gets its own target mailboxes.

    python bench/mail_migrate.py --mailboxes 20 --messages 2000 --kb 25 --parallel 4    # the issue's size (~1 GB)
    python bench/mail_migrate.py --mailboxes 4 --messages 200 --parallel 2              # a quick run

Prints one JSON document: per tool messages/s, MB/s, wall seconds, peak RSS (largest process, from
/usr/bin/time), and whether every message arrived (IMAP STATUS totals; ours also reports its own verification).

    python bench/mail_migrate.py --mailboxes 20 --messages 2000 --parallel 4 --tools hopnhat,doveadm --rounds 3

With --rounds N every tool runs N times into fresh target mailboxes, the order of the tools turned by one each
round: the first tool to read the old server makes its Dovecot build its caches and pays for it, so a single run
favours whichever tool comes later. Each tool's figures are then those of its median round, with every round's
seconds beside them, and `ratios` gives, per round and as the median, the faster anchor's seconds over ours.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


CPU = {}   # command → CPU seconds (user + system, its waited-for children included)


def _timed(cmd: list[str], env=None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS in KB (GNU time's %M) and the result of one command; its CPU seconds go to CPU."""
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M CPU=%U+%S", *cmd], capture_output=True, text=True,
                         env=env, check=False)
    seconds = time.monotonic() - start
    lines = [line for line in out.stderr.splitlines() if line.startswith("RSS_KB=")]
    rss = max([int(line.split()[0].split("=", 1)[1]) for line in lines] or [0])
    CPU[id(out)] = sum(float(x) for line in lines for x in line.split("CPU=", 1)[1].split("+"))
    return seconds, rss, out


def _server_cpu(layout) -> float:
    """CPU seconds of one Dovecot so far: its master and every finished child (imap, auth …) it has reaped."""
    pid = int((layout.root / "dovecot" / "run" / "master.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _count(layout, user: str) -> int:
    from imapclient import IMAPClient

    with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False) as imap:
        imap.login(f"{user}*migrator", layout.secret("master"))
        return sum(int(imap.folder_status(name, [b"MESSAGES"])[b"MESSAGES"])
                   for flags, _, name in imap.list_folders() if b"\\Noselect" not in flags)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=4)
    parser.add_argument("--messages", type=int, default=200, help="per mailbox")
    parser.add_argument("--kb", type=int, default=25, help="average attachment size in KB (the issue: ~25)")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--tools", default="hopnhat,mbsync,doveadm",
                        help="any of hopnhat (Maildir of the platform's own Dovecot), hopnhat-imap (IMAP APPEND), "
                             "mbsync, doveadm")
    parser.add_argument("--rounds", type=int, default=1, help="runs of every tool, the order turned each round")
    args = parser.parse_args()

    from hopnhat.mail import servers, testing

    work = Path(tempfile.mkdtemp(prefix="hopnhat-mailbench-"))
    work.chmod(0o755)   # the servers' own users (dovecot, mail) walk into it
    old = testing.start_instance(work / "old", with_postfix=False, with_ldap=False, instance="bench-old")
    new = testing.start_instance(work / "new", with_postfix=False, with_ldap=False, instance="bench-new")
    tools = args.tools.split(",")
    try:
        olds = [f"u{i}@hagiang.gov.vn" for i in range(args.mailboxes)]
        testing.old_server_users(old, {u: "cu-2024" for u in olds})
        rounds = max(1, args.rounds)
        targets = {(tool, r): [f"{tool.replace('-', '')}{'' if r == 0 else f'r{r}_'}{i}@tuyenquang.gov.vn"
                               for i in range(args.mailboxes)] for tool in tools for r in range(rounds)}
        servers.atomic_write(new.maps_dir / "dovecot-users",
                             "".join(f"{u}::::::\n" for users in targets.values() for u in users))
        fill_start = time.monotonic()

        def fill(user):
            per = args.messages
            folders = {"INBOX": [], "Sent": [], "Công văn/Đến": []}
            names = list(folders)
            for i in range(per):
                folders[names[i % 3]].append(testing.generated_message(
                    i, attachment_kb=int(args.kb * 2 * (i % 5) / 4),   # 0 … 2×kb, kb on average
                    with_message_id=i % 17 != 0, charset="windows-1258" if i % 2 else "utf-8"))
            return testing.fill_mailbox(old, user, "cu-2024", folders)

        with ThreadPoolExecutor(max_workers=4) as pool:
            total = sum(pool.map(fill, olds))
        source_bytes = sum(p.stat().st_size for p in (work / "old" / "mail").rglob("*")
                           if p.is_file() and p.parent.name in {"cur", "new"})
        result = {"benchmark": "mail_migrate", "mailboxes": args.mailboxes, "messages_per_mailbox": args.messages,
                  "messages": total, "source_mb": round(source_bytes / 1e6, 1), "parallel": args.parallel,
                  "fill_seconds": round(time.monotonic() - fill_start, 1), "rounds": rounds, "orders": [],
                  "tools": {}}
        measured: dict[str, list[dict]] = {tool: [] for tool in tools}
        for r in range(rounds):
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            result["orders"].append(order)
            for tool in order:
                measured[tool].append(_measure(tool, r, args, old, new, olds, targets[(tool, r)], work, total,
                                               source_bytes))
        for tool in tools:
            by_time = sorted(measured[tool], key=lambda m: m["seconds"])
            result["tools"][tool] = {**by_time[len(by_time) // 2],
                                     "rounds_seconds": [m["seconds"] for m in measured[tool]]}
        anchors = [t for t in ("doveadm", "mbsync") if t in tools]
        if anchors and "hopnhat" in tools:
            per_round = [min(measured[a][r]["seconds"] for a in anchors) / measured["hopnhat"][r]["seconds"]
                         for r in range(rounds)]
            result["ratios"] = {"faster_anchor_seconds_over_ours": [round(x, 3) for x in per_round],
                                "median": round(sorted(per_round)[len(per_round) // 2], 3)}
            runs = [m.get("run_seconds_with_verification") for m in measured["hopnhat"]]
            if all(runs):
                per_run = [min(measured[a][r]["seconds"] for a in anchors) / runs[r] for r in range(rounds)]
                result["ratios"]["run_itself"] = [round(x, 3) for x in per_run]
        print(json.dumps(result, ensure_ascii=False))
    finally:
        servers.stop(old)
        servers.stop(new)
        shutil.rmtree(work, ignore_errors=True)


def _measure(tool, r, args, old, new, olds, targets, work, total, source_bytes) -> dict:
    """One tool's run into its own target mailboxes, with the CPU it and both servers spent."""
    runner = {"hopnhat": _ours, "hopnhat-imap": _ours_imap, "mbsync": _mbsync, "doveadm": _doveadm}[tool]
    # Every tool starts with nothing dirty in the page cache: the fill's (or the previous tool's) writes
    # would otherwise be flushed inside whichever tool first asks for durability.
    os.sync()
    time.sleep(2)
    CPU.clear()
    servers_before = (_server_cpu(old), _server_cpu(new))
    seconds, rss, extra = runner(args, old, new, olds, targets, work, r)
    time.sleep(1)   # the servers' last imap processes exit and are reaped
    servers_cpu = (_server_cpu(old) - servers_before[0], _server_cpu(new) - servers_before[1])
    extra["cpu_seconds"] = {"tool": round(sum(CPU.values()), 2), "old_dovecot": round(servers_cpu[0], 2),
                            "new_dovecot": round(servers_cpu[1], 2),
                            "total": round(sum(CPU.values()) + sum(servers_cpu), 2)}
    extra["cpu_ms_per_message"] = round(extra["cpu_seconds"]["total"] * 1000 / total, 3)
    arrived = sum(_count(new, u) for u in targets)
    return {"seconds": round(seconds, 2), "messages_per_second": round(total / seconds, 1),
            "mb_per_second": round(source_bytes / 1e6 / seconds, 2), "peak_rss_mb": round(rss / 1024, 1),
            "arrived": arrived, "complete": arrived == total, **extra}


def _ours_imap(args, old, new, olds, targets, work, r=0):
    """Ours with every message through the new Dovecot's IMAP APPEND (what any target other than the platform's
    own Dovecot gets), for comparison."""
    return _ours(args, old, new, olds, targets, work, r, write="imap")


def _ours(args, old, new, olds, targets, work, r=0, write="maildir"):
    import yaml

    # The new Dovecot is the platform's own: the plan names its Maildir (its mail_location), as an operator's plan
    # for the platform's own servers implies it.
    target_write = {"maildir": str(new.root / "mail" / "%d" / "%n")} if write == "maildir" else {"write": "imap"}
    plan = {"source": {"host": "127.0.0.1", "port": old.imap_port, "master_user": "migrator",
                       "master_password": old.secret("master")},
            "target": {"host": "127.0.0.1", "port": new.imap_port, "master_user": "migrator",
                       "master_password": new.secret("master"), **target_write},
            "parallel": args.parallel, "report_dir": str(work / "reports"),
            "mailboxes": [{"old": o, "new": t} for o, t in zip(olds, targets, strict=True)]}
    (work / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True))
    var = work / f"var-{write}-{r}"
    env = {**os.environ, "HOPNHAT_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var}/bench.sqlite3",
           "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "hopnhat.cli", "migrate", "--verbosity", "0"], env=env, check=True)
    # HOPNHAT_BENCH_PROFILE=out.txt: pyinstrument's text report of our run (with --parallel 1: the main thread).
    profile = ["-m", "pyinstrument", "-r", "text", "-o", os.environ["HOPNHAT_BENCH_PROFILE"]] if os.environ.get(
        "HOPNHAT_BENCH_PROFILE") else []
    seconds, rss, out = _timed([sys.executable, *profile, "-m", "hopnhat.cli", "mail", "migrate",
                                str(work / "plan.yaml"), "--json"], env=env)
    report = json.loads(out.stdout[out.stdout.index("{"):]) if "{" in out.stdout else {}
    import datetime

    # The command's wall time includes starting Django (seconds on a busy machine); the run itself, copy and
    # verification of every mailbox, is what the report's timestamps bracket.
    run = (datetime.datetime.fromisoformat(report["finished_at"]) - datetime.datetime.fromisoformat(
        report["started_at"])).total_seconds() if report.get("finished_at") else None
    return seconds, rss, {"verified": report.get("verified"), "copied": report.get("totals", {}).get("copied"),
                          "run_seconds_with_verification": round(run, 2) if run else None,
                          "run_messages_per_second": round(report["totals"]["copied"] / run, 1) if run else None,
                          "copy_phase": report.get("throughput")}


def _mbsync(args, old, new, olds, targets, work, r=0):
    lines = []
    for i, (o, t) in enumerate(zip(olds, targets, strict=True)):
        for side, layout, user in (("far", old, o), ("near", new, t)):
            lines += [f"IMAPAccount {side}{i}", "Host 127.0.0.1", f"Port {layout.imap_port}",
                      f"User {user}*migrator", f"Pass {layout.secret('master')}", "SSLType None", "AuthMechs LOGIN",
                      "PipelineDepth 50", "", f"IMAPStore {side}{i}", f"Account {side}{i}", ""]
        lines += [f"Channel ch{i}", f"Far :far{i}:", f"Near :near{i}:", "Patterns *", "Create Near", "Sync Pull",
                  f"SyncState {work}/mbsync-state/r{r}/ch{i}/", "CopyArrivalDate yes", ""]
    (work / "mbsyncrc").write_text("\n".join(lines))
    for i in range(len(olds)):
        (work / "mbsync-state" / f"r{r}" / f"ch{i}").mkdir(parents=True, exist_ok=True)

    def one(i):
        return _timed(["mbsync", "-q", "-c", str(work / "mbsyncrc"), f"ch{i}"])

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        runs = list(pool.map(one, range(len(olds))))
    errors = [r[2].stderr.strip()[-300:] for r in runs if r[2].returncode]
    return time.monotonic() - start, max(r[1] for r in runs), {"errors": errors[:3]}


def _doveadm(args, old, new, olds, targets, work, r=0):
    def one(pair):
        o, t = pair
        return _timed(["doveadm", "-c", str(new.dovecot_conf), "-o", "imapc_host=127.0.0.1",
                       "-o", f"imapc_port={old.imap_port}", "-o", f"imapc_user={o}", "-o", "imapc_master_user=migrator",
                       "-o", f"imapc_password={old.secret('master')}", "-o", "imapc_features=rfc822.size fetch-headers",
                       "-o", "mail_prefetch_count=20", "-o", "imapc_list_prefix=",
                       "sync", "-1", "-R", "-u", t, "imapc:"])

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        runs = list(pool.map(one, list(zip(olds, targets, strict=True))))
    errors = [r[2].stderr.strip()[-300:] for r in runs if r[2].returncode]
    return time.monotonic() - start, max(r[1] for r in runs), {"errors": errors[:3]}


if __name__ == "__main__":
    main()
