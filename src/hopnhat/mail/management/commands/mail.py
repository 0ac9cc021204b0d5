"""`hopnhat mail …`: addresses, forwards, the servers' maps, mailbox migration.

    hopnhat mail provision [--dry-run]          an address for every official, shared ones per agency
    hopnhat mail forwards [--expiring DAYS]     old addresses, where they go and until when
    hopnhat mail publish                        write the maps for Postfix and Dovecot now (daily timer)
    hopnhat mail notices                        one notice of the new address per sender per period
    hopnhat mail migrate PLAN.yaml              IMAP → IMAP, resumable, verified, with a report
    hopnhat mail verify MAILBOX                 is every message of the old mailbox on the new one?
    hopnhat mail servers start|stop|status      the project's Postfix, Dovecot and slapd
"""

import yaml
from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input


class Command(HopnhatCommand):
    help = "Thư điện tử công vụ / the platform's mail: addresses, forwards, maps, migration"
    # No system checks: they import every URLconf (seconds on a busy host) before a migration or a daily publish
    # that uses none of it; `hopnhat check` and the server's start-up still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        p = sub.add_parser("provision", help="địa chỉ cho mọi cán bộ / an address for every official")
        p.add_argument("--dry-run", action="store_true")
        p = sub.add_parser("forwards", help="địa chỉ cũ và thời hạn chuyển tiếp / old addresses and periods")
        p.add_argument("--expiring", type=int, metavar="DAYS", help="only those ending within DAYS days")
        sub.add_parser("publish", help="ghi bảng cho Postfix/Dovecot / write the servers' maps now")
        sub.add_parser("notices", help="báo địa chỉ mới cho người gửi tới địa chỉ cũ / tell senders the new address")
        p = sub.add_parser("migrate", help="chuyển hộp thư IMAP → IMAP / migrate mailboxes")
        p.add_argument("plan", metavar="PLAN.yaml")
        p.add_argument("--report-dir", default=None, help="where the HTML and JSON reports go")
        p = sub.add_parser("verify", help="đối chiếu hộp thư cũ và mới / verify one mailbox")
        p.add_argument("mailbox", metavar="MAILBOX", help="the new address (or the old login) named in a plan")
        p.add_argument("--plan", metavar="PLAN.yaml", required=True)
        p = sub.add_parser("servers", help="Postfix, Dovecot, slapd của dự án / the project's servers")
        p.add_argument("server_action", choices=["start", "stop", "status"])

    def handle(self, *args, **options):
        action = options["action"]
        return getattr(self, f"_{action}")(options)

    def _provision(self, options):
        from hopnhat.mail.addresses import provision

        plan = provision(dry_run=options["dry_run"], actor="cli:mail.provision")
        s = plan.summary()
        data = {"dry_run": options["dry_run"], **plan.as_dict()}
        lines = [f"{'(thử / dry run) ' if options['dry_run'] else ''}Tạo mới / created: {s['created']} "
                 f"(đánh số / numbered {s['numbered']}), đóng đăng nhập / closed: {s['closed']}, mở lại / reopened: "
                 f"{s['reopened']}, chuyển cơ quan / moved: {s['moved']}, dùng chung / shared: {s['shared']}, "
                 f"không có tên miền / without a domain: {s['without_domain']}"]
        lines += [f"  + {r['address']}  {r.get('person') or r.get('agency')}" for r in plan.created + plan.shared]
        lines += [f"  ! {r['address']} (thay cho / instead of {r['derived']})" for r in plan.numbered]
        self.emit(data, "\n".join(lines))

    def _forwards(self, options):
        from hopnhat.mail.forwards import forward_rows

        rows = forward_rows(expiring_days=options["expiring"])
        human = "\n".join(f"{r['old']:<40} → {r['new']:<36} {r['until']} ({r['days_left']} ngày / days) {r['state']}"
                          for r in rows) or "Không có địa chỉ cũ nào / no old addresses"
        self.emit({"forwards": rows, "expiring_days": options["expiring"]}, human)

    def _publish(self, options):
        from hopnhat.mail.maps import publish

        result = publish()
        if not result["configured"]:
            raise CommandError(f"Chưa cấu hình máy chủ thư tại {result['dir']} (python -m hopnhat.mail.servers "
                               f"start) / the mail servers are not set up in {result['dir']}")
        self.emit(result)

    def _notices(self, options):
        from hopnhat.mail import notices

        try:
            result = notices.run()
        except OSError as exc:
            raise CommandError(f"Không đọc được hộp thư thông báo / the notice mailbox cannot be read: {exc}") from exc
        if not result["configured"]:
            self.emit(result, f"Máy này chưa có máy chủ thư ({result['dir']}), không có gì để báo / no mail servers "
                              f"are set up on this host ({result['dir']}): nothing to do")
            return
        c, s = result["collected"], result["sent"]
        human = (f"Đã đọc / read {c['read']}: xếp hàng / queued {c['queued']}, đã báo trong kỳ / already told "
                 f"{c['already']}, không báo / not notified {c['not_notified']}; gửi / sent {s['sent']}, "
                 f"thử lại / retry {s['retry']}, hỏng / dead {s['dead']}")
        self.emit(result, human)

    def _migrate(self, options):
        from hopnhat.mail import migrate

        try:
            plan = migrate.load_plan(options["plan"])
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise bad_input(f"{options['plan']}: {exc}") from exc
        report = migrate.run_plan(plan, report_dir=options["report_dir"],
                                  progress=None if self.as_json else self.stderr)
        self.emit(report, migrate.human_summary(report))
        if not report["verified"]:
            raise CommandError("Có hộp thư chưa khớp sau khi chuyển, xem báo cáo / a mailbox does not verify")

    def _verify(self, options):
        from hopnhat.mail import migrate

        try:
            plan = migrate.load_plan(options["plan"])
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise bad_input(f"{options['plan']}: {exc}") from exc
        job = plan.find(options["mailbox"])
        if job is None:
            raise bad_input(f"{options['plan']}: không có hộp thư “{options['mailbox']}” / no such mailbox")
        try:
            result = migrate.verify_job(plan, job)
        except migrate.ServerError as exc:
            raise CommandError(f"{options['mailbox']}: {exc}") from exc
        self.emit(result, migrate.human_verify(result))
        if not result["ok"]:
            raise CommandError(f"{options['mailbox']}: {result['message']}")

    def _servers(self, options):
        from hopnhat.mail import servers

        layout = servers.Layout.from_settings()
        action = options["server_action"]
        if action == "start":
            servers.write_config(layout)
            self.emit(servers.start(layout))
        elif action == "stop":
            servers.stop(layout)
            self.emit({"stopped": True})
        else:
            self.emit({"postfix": servers.postfix_running(layout), "dovecot": servers.dovecot_pid(layout) is not None,
                       "slapd": servers.slapd_pid(layout) is not None, "dir": str(layout.root)})
