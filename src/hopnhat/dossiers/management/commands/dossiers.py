"""hopnhat dossiers handover [--dry-run] | lookup CODE | procedures FILE | outbox"""

from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand
from hopnhat.dossiers import catalogue, handover, lookup, outbox


class Command(HopnhatCommand):
    help = "Hồ sơ thủ tục hành chính / administrative-procedure dossiers"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        hand = sub.add_parser("handover", help="bàn giao hồ sơ đang giải quyết của cơ quan đã dừng / hand over "
                                               "in-progress dossiers of closed agencies")
        hand.add_argument("--dry-run", action="store_true", help="chỉ xem trước / only show what would happen")
        find = sub.add_parser("lookup", help="tra cứu theo mã mới hoặc cũ / look up by any old or new code")
        find.add_argument("code")
        procs = sub.add_parser("procedures", help="nạp danh mục thủ tục từ CSV/Excel / load the procedure catalogue")
        procs.add_argument("path")
        sub.add_parser("outbox", help="gửi hàng đợi đồng bộ DVCQG / send what is due to DVCQG")

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_handover(self, dry_run=False, **options):
        report = handover.run(dry_run=dry_run)
        lines = [f"{'Xem trước' if dry_run else 'Đã bàn giao'} {report['total']} hồ sơ / "
                 f"{'would hand over' if dry_run else 'handed over'} {report['total']} dossiers: {report['by_rule']}"]
        for d in report["decisions"]:
            target = f"{d['to_name']} [{d['to']}]" if d["to"] else "→ hàng chờ xem xét / review queue"
            lines.append(f"  {d['code']}: {d['from_name']} → {target} ({d['rule']})")
        self.emit({"ok": True, **report}, "\n".join(lines))

    def handle_lookup(self, code, **options):
        found = lookup.find(code)
        if not found:
            raise CommandError(f"Không có hồ sơ nào mang mã “{code}” / no dossier has the code “{code}”")
        data = [lookup.describe(d, public=False) for d in found]
        lines = []
        for d in data:
            lines.append(f"{d['code']} — {d['status_label']}{' (quá hạn / overdue)' if d['overdue'] else ''}")
            if d["other_codes"]:
                lines.append(f"  mã khác / other codes: {', '.join(d['other_codes'])}")
            lines.append(f"  {d['procedure']}")
            lines.append(f"  cơ quan / agency: {d['agency']} [{d['agency_code']}]; hẹn trả / due {d['due_date']}")
            lines.extend(f"  {s['at']}  {s['action_label']}  → {s['status_label']}  {s['agency']}  {s['note']}"
                         for s in d["timeline"])
        self.emit({"ok": True, "dossiers": data}, "\n".join(lines))

    def handle_procedures(self, path, **options):
        try:
            counts = catalogue.load_procedures(path)
        except catalogue.CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        self.emit({"ok": True, **counts}, f"Danh mục thủ tục / catalogue: {counts}")

    def handle_outbox(self, **options):
        try:
            counts = outbox.send_due()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.emit({"ok": True, **counts}, f"DVCQG: {counts}")
