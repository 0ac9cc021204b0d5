"""`hopnhat backup [--to DIR]`: the database, uploaded files and var files, with a manifest to check a restore."""

from pathlib import Path

from django.core.management.base import CommandError

from hopnhat.core import backup
from hopnhat.core.json_output import HopnhatCommand


class Command(HopnhatCommand):
    help = "Sao lưu toàn bộ nền tảng / back up the whole platform (database, files, keys, audit checkpoints)"

    def add_arguments(self, parser):
        parser.add_argument("--to", default="", help="thư mục chứa bản sao lưu / where to write it "
                                                     "(default $HOPNHAT_VAR_DIR/backups)")

    def handle(self, *args, **options):
        try:
            report = backup.backup(Path(options["to"]) if options["to"] else None)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        data = report.as_dict()
        self.emit(data, f"Đã sao lưu vào {data['path']}: {data['tables']} bảng, {data['rows']:,} dòng, "
                        f"{data['files']} tệp, nhật ký kiểm toán đến mục #{data['audit']['last_seq']}"
                        .replace(",", "."))
