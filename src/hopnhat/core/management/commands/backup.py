"""`hopnhat backup [--to DIR]`: the database, uploaded files and var files, with a manifest to check a restore;
then the older backups the retention does not keep are removed (`--no-prune` to keep every one)."""

from pathlib import Path

from django.core.management.base import CommandError

from hopnhat.core import backup
from hopnhat.core.json_output import HopnhatCommand


class Command(HopnhatCommand):
    help = "Sao lưu toàn bộ nền tảng / back up the whole platform (database, files, keys, audit checkpoints)"

    def add_arguments(self, parser):
        parser.add_argument("--to", default="", help="thư mục chứa bản sao lưu / where to write it "
                                                     "(default $HOPNHAT_VAR_DIR/backups)")
        for period, vi, en in (("daily", "ngày", "days"), ("weekly", "tuần", "weeks"), ("monthly", "tháng", "months")):
            parser.add_argument(f"--keep-{period}", type=int, default=None, metavar="N",
                                help=f"giữ bản mới nhất của {{N}} {vi} gần nhất / keep the newest backup of the last "
                                     f"N {en} (default "
                                     f"{backup.KEEP[period]}, or HOPNHAT_BACKUP_KEEP)")
        parser.add_argument("--no-prune", action="store_true",
                            help="không xoá bản cũ / remove no older backup")
        parser.add_argument("--prune-only", action="store_true",
                            help="chỉ xoá bản cũ theo chính sách, không sao lưu / only prune, no new backup")
        parser.add_argument("--dry-run", action="store_true",
                            help="chỉ liệt kê bản sẽ xoá / list what pruning would remove, remove nothing")

    def handle(self, *args, **options):
        target = Path(options["to"]) if options["to"] else None
        keep = {p: options[f"keep_{p}"] for p in backup.KEEP if options[f"keep_{p}"] is not None}
        if options["no_prune"] and options["prune_only"]:
            raise CommandError("--no-prune và --prune-only loại trừ nhau / exclude each other")
        data: dict = {}
        lines = []
        try:
            if not options["prune_only"] and not options["dry_run"]:
                report = backup.backup(target)
                data = report.as_dict()
                lines.append(f"Đã sao lưu vào {data['path']}: {data['tables']} bảng, {data['rows']:,} dòng, "
                             f"{data['files']} tệp, nhật ký kiểm toán đến mục #{data['audit']['last_seq']}"
                             .replace(",", "."))
            if not options["no_prune"]:
                pruned = backup.prune(target, keep, dry_run=options["dry_run"])
                data["pruned"] = pruned.as_dict()
                vi, en = ("Sẽ xoá", "would remove") if pruned.dry_run else ("Đã xoá", "removed")
                lines.append(f"{vi} {len(pruned.removed)} bản cũ, giữ {len(pruned.kept)} bản / {en} "
                             f"{len(pruned.removed)} older backups, kept {len(pruned.kept)}"
                             + (f": {', '.join(pruned.removed)}" if pruned.removed else ""))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.emit(data, "\n".join(lines))
