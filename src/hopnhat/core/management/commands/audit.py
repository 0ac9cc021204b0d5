"""`hopnhat audit verify` checks the keyed hash chain against the latest checkpoint; `hopnhat audit checkpoint`
(hourly timer) anchors the chain's head outside the database; `hopnhat audit tail` shows the latest entries."""

from django.core.management.base import CommandError
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.core.models import AuditEntry


def _as_dict(entry: AuditEntry) -> dict:
    return {"seq": entry.seq, "at": entry.at, "actor": entry.actor, "action": entry.action,
            "object": f"{entry.object_type}:{entry.object_pk}" if entry.object_type else "", "data": entry.data,
            "hash": entry.hash}


class Command(HopnhatCommand):
    help = "Kiểm tra và xem nhật ký kiểm toán / verify and read the audit log"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        sub.add_parser("verify", help="kiểm tra chuỗi băm và điểm neo mới nhất / check the keyed chain and the latest "
                                      "checkpoint; exits 1 at the first broken entry")
        sub.add_parser("checkpoint", help="ghi điểm neo (số thứ tự + mã băm của mục cuối) vào tệp nhật ký chỉ ghi thêm "
                                          "/ append the chain's head to the write-once checkpoint log (hourly timer)")
        tail = sub.add_parser("tail", help="các mục mới nhất / the latest entries")
        tail.add_argument("-n", "--lines", type=int, default=20, help="how many entries (default 20)")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            self.verify()
        elif options["action"] == "checkpoint":
            self.checkpoint()
        else:
            self.tail(options["lines"])

    def verify(self):
        report = audit.verify_chain()
        if not report.ok and report.first_broken_seq is None:
            raise CommandError(f"Tệp điểm neo không đáng tin / the checkpoint log cannot be trusted: {report.reason}")
        if not report.ok:
            # Exit non-zero so its timer (a failed unit) or CI notices; the message names the entry to look at.
            raise CommandError(f"Nhật ký kiểm toán bị sửa từ mục #{report.first_broken_seq}: {report.reason} "
                               f"/ audit log broken at entry #{report.first_broken_seq} "
                               f"({report.checked} entries verified before it)")
        anchor = (f"; khớp điểm neo #{report.checkpoint_seq} ({report.checkpoint_at}) / matches checkpoint "
                  f"#{report.checkpoint_seq}" if report.checkpoint_seq is not None
                  else "; chưa có điểm neo / no checkpoint yet (run `hopnhat audit checkpoint`)")
        self.emit(report.as_dict(), f"Nhật ký kiểm toán nguyên vẹn: {report.checked} mục "
                                    f"/ audit log intact: {report.checked} entries{anchor}")

    def checkpoint(self):
        try:
            point = audit.checkpoint()
        except ValueError as exc:
            raise CommandError(f"Không ghi điểm neo cho chuỗi đã hỏng / refusing to anchor a broken chain: "
                               f"{exc}") from exc
        self.emit({"seq": point.seq, "hash": point.hash, "at": point.at, "log": str(audit.checkpoint_log_path())},
                  f"Điểm neo #{point.seq} đã ghi vào {audit.checkpoint_log_path()} / checkpoint #{point.seq} written")

    def tail(self, lines: int):
        if lines < 1:
            raise bad_input(f"--lines {lines}: cần số dương / must be positive")
        entries = list(AuditEntry.objects.order_by("-seq")[:lines])[::-1]
        human = "\n".join(
            f"#{e.seq} {timezone.localtime(e.at):%Y-%m-%d %H:%M:%S%z} {e.actor} {e.action}"
            + (f" {e.object_type}:{e.object_pk}" if e.object_type else "") for e in entries
        ) or "Nhật ký trống / the audit log is empty"
        self.emit({"entries": [_as_dict(e) for e in entries]}, human)
