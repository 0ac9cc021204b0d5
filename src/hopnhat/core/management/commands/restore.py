"""`hopnhat restore BACKUP --database-url URL --var-dir DIR`: into an empty database, then checked against the
backup's manifest (row counts, file checksums, the audit chain). Exit 0 when everything matches, 3 when not."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from hopnhat.core import backup
from hopnhat.core.json_output import HopnhatCommand


class Command(HopnhatCommand):
    help = "Khôi phục từ bản sao lưu vào cơ sở dữ liệu trống / restore a backup into an empty database"

    def add_arguments(self, parser):
        parser.add_argument("backup", help="thư mục bản sao lưu / the backup directory")
        parser.add_argument("--database-url", default="", help="cơ sở dữ liệu đích, trống / the empty target "
                                                               "(default: this platform's DATABASE_URL)")
        parser.add_argument("--var-dir", default="", help="thư mục var đích / target var directory "
                                                          "(default $HOPNHAT_VAR_DIR)")

    def handle(self, *args, **options):
        import os

        database_url = options["database_url"] or os.environ.get("DATABASE_URL") or \
            f"sqlite:///{settings.DATABASES['default']['NAME']}"
        var_dir = Path(options["var_dir"] or settings.VAR_DIR)
        try:
            report = backup.restore(Path(options["backup"]), database_url, var_dir)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        data = report.as_dict()
        human = (f"Đã khôi phục {data['tables_checked']} bảng ({data['rows']:,} dòng) và {data['files_checked']} "
                 f"tệp vào {data['database']}; nhật ký kiểm toán: {data['audit'].get('checked', '?')} mục "
                 f"nguyên vẹn".replace(",", "."))
        if not report.ok:
            human = "Khôi phục KHÔNG khớp bản sao lưu:\n  " + "\n  ".join(report.problems)
        self.emit(data, human)
        if not report.ok:
            sys.exit(3)
