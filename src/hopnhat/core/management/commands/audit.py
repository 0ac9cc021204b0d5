"""`hopnhat audit verify` checks the hash chain; `hopnhat audit tail` shows the latest entries."""

from django.core.management.base import CommandError
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.json_output import HopnhatCommand
from hopnhat.core.models import AuditEntry


def _as_dict(entry: AuditEntry) -> dict:
    return {"seq": entry.seq, "at": entry.at, "actor": entry.actor, "action": entry.action,
            "object": f"{entry.object_type}:{entry.object_pk}" if entry.object_type else "", "data": entry.data,
            "hash": entry.hash}


class Command(HopnhatCommand):
    help = "Kiểm tra và xem nhật ký kiểm toán / verify and read the audit log"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        sub.add_parser("verify", help="kiểm tra chuỗi băm / check the hash chain; exits 1 at the first broken entry")
        tail = sub.add_parser("tail", help="các mục mới nhất / the latest entries")
        tail.add_argument("-n", "--lines", type=int, default=20, help="how many entries (default 20)")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            self.verify()
        else:
            self.tail(options["lines"])

    def verify(self):
        report = audit.verify_chain()
        if not report.ok:
            # Exit non-zero so a cron job or CI notices; the message names the entry to look at.
            raise CommandError(f"Nhật ký kiểm toán bị sửa từ mục #{report.first_broken_seq}: {report.reason} "
                               f"/ audit log broken at entry #{report.first_broken_seq} "
                               f"({report.checked} entries verified before it)")
        self.emit(report.as_dict(), f"Nhật ký kiểm toán nguyên vẹn: {report.checked} mục "
                                    f"/ audit log intact: {report.checked} entries")

    def tail(self, lines: int):
        if lines < 1:
            raise CommandError(f"--lines {lines}: cần số dương / must be positive")
        entries = list(AuditEntry.objects.order_by("-seq")[:lines])[::-1]
        human = "\n".join(
            f"#{e.seq} {timezone.localtime(e.at):%Y-%m-%d %H:%M:%S%z} {e.actor} {e.action}"
            + (f" {e.object_type}:{e.object_pk}" if e.object_type else "") for e in entries
        ) or "Nhật ký trống / the audit log is empty"
        self.emit({"entries": [_as_dict(e) for e in entries]}, human)
