"""`hopnhat outbox send [--link NAME]`: one sending round of every registered outbox link (DVCQG, the citizens'
notices, the national reporting system, …; `core.outbox.register`) that is connected. First attempts go out when
the change commits (a task, or the sender's own command); this round sends what waits for a retry after a back-off
or a requeue. The `hopnhat-outbox-send` timer runs it every minute (hopnhat.core.schedule)."""

from hopnhat.core import outbox
from hopnhat.core.json_output import HopnhatCommand, bad_input

BATCH = 500


class Command(HopnhatCommand):
    help = "Gửi thông điệp đến hạn cho các hệ thống quốc gia / send what is due on every outbox link"
    # No system checks: they import every URLconf (seconds on a busy host) before a round a timer starts every
    # minute; `hopnhat check` and the server's start-up still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        send = sub.add_parser("send", help="một vòng gửi của mọi kênh đã kết nối / one sending round of every "
                                           "connected link")
        send.add_argument("--link", action="append", default=[], metavar="NAME",
                          help="chỉ kênh này (lặp lại được) / only this link (repeatable)")

    def handle(self, *args, **options):
        links = outbox.links()
        names = [link.name for link in links]
        unknown = [name for name in options["link"] if name not in names]
        if unknown:
            raise bad_input(f"Không có kênh “{', '.join(unknown)}” / no such link; các kênh / the links: "
                            f"{', '.join(names)}")
        rows, failed = [], []
        for link in links:
            if options["link"] and link.name not in options["link"]:
                continue
            label = link.label
            row = {"link": link.name, "label": {"vi": str(label), "en": getattr(label, "en", str(label))},
                   "connected": link.connected(), "sent": 0, "retry": 0, "dead": 0}
            if row["connected"]:
                try:
                    row |= link.send_due(limit=BATCH)
                except Exception as exc:   # noqa: BLE001 — one link's fault must not hold the others back
                    row["error"] = f"{exc.__class__.__name__}: {exc}"
                    failed.append(link.name)
            rows.append(row)
        human = "\n".join(
            f"{row['link']:<14} " + (f"gửi / sent {row['sent']}, thử lại / retry {row['retry']}, hỏng / dead "
                                     f"{row['dead']}" if row["connected"] else "chưa kết nối / not connected")
            + (f" — lỗi / error: {row['error']}" if "error" in row else "") + f"  ({row['label']['vi']})"
            for row in rows) or "Không có kênh nào / no links"
        self.emit({"ok": not failed, "links": rows}, human)
        if failed:
            # the counts above are the answer (one JSON document); the exit status tells the timer it failed
            self.stderr.write(f"Kênh lỗi / links that failed: {', '.join(failed)}")
            raise SystemExit(1)
