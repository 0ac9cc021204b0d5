"""The directory in slapd: a full resync of N officials (first load, then a resync that finds nothing to change)
and the delay from a change committed in the platform to its visibility in LDAP (target ≤ 2 s; issue 15's
resync target: 50,000 people ≤ 60 s). Runs against its own PostgreSQL database and its own slapd.

    python bench/ldap_resync.py --people 2000          # quick
    python bench/ldap_resync.py --people 50000         # the issue's size
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def child(n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from hopnhat.mail import ldap_sync, servers, testing
    from hopnhat.org.models import Agency, Membership, Person

    call_command("migrate", verbosity=0)
    work = Path(tempfile.mkdtemp(prefix="hopnhat-ldapbench-"))
    work.chmod(0o755)
    layout = testing.start_instance(work / "ms", with_postfix=False, instance="bench-ldap")
    settings.HOPNHAT_MAIL.update(testing.settings_for(layout))
    try:
        build = time.monotonic()
        root = Agency.objects.create(name="UBND tỉnh Tuyên Quang", code="000.00.00.H60")
        agencies = [Agency.objects.create(name=f"Sở {i} tỉnh Tuyên Quang", code=f"000.00.{i:02d}.H60", parent=root)
                    for i in range(1, 41)]
        people = Person.objects.bulk_create([Person(full_name=f"Nguyễn Văn Cán Bộ {i}",
                                                    name_key=f"nguyen van can bo {i}") for i in range(n)],
                                            batch_size=5000)
        Membership.objects.bulk_create([Membership(person=p, agency=agencies[i % len(agencies)], title="Chuyên viên",
                                                   start=datetime.date(2025, 7, 1)) for i, p in enumerate(people)],
                                       batch_size=5000)
        built = time.monotonic() - build
        start = time.monotonic()
        first = ldap_sync.sync()
        first_seconds = time.monotonic() - start
        start = time.monotonic()
        again = ldap_sync.sync()
        again_seconds = time.monotonic() - start
        # A change committed in the platform → visible to a mail client bound read-only.
        target = people[n // 2]
        reader = ldap_sync.connect(layout, reader=True)
        start = time.monotonic()
        with transaction.atomic():
            membership = Membership.objects.get(person=target)
            membership.title = "Trưởng phòng"
            membership.save()   # the signal syncs this official once the transaction commits
        deadline = start + 10
        while time.monotonic() < deadline:
            reader.search(layout.ldap_suffix, f"(employeeNumber={target.pk})", attributes=["title"])
            if reader.entries and str(reader.entries[0].title) == "Trưởng phòng":
                break
            time.sleep(0.01)
        delay = time.monotonic() - start
        print(json.dumps({"benchmark": "ldap_resync", "people": n, "agencies": len(agencies) + 1,
                          "build_seconds": round(built, 2),
                          "full_sync_first_seconds": round(first_seconds, 2), "first_counts": first["counts"],
                          "full_resync_unchanged_seconds": round(again_seconds, 2), "resync_counts": again["counts"],
                          "change_to_ldap_seconds": round(delay, 3), "targets": {"resync_50k_s": 60, "delay_s": 2}}))
    finally:
        servers.stop(layout)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("HOPNHAT_BENCH_PG",
                                                     "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    if args.child:
        child(args.people)
        return
    from harness import run_child_in_database

    run_child_in_database(script=__file__, database="bench_ldap_resync", child_args=["--people", str(args.people)],
                          pg_url=args.pg, keep=False, benchmark="ldap_resync")


if __name__ == "__main__":
    main()
