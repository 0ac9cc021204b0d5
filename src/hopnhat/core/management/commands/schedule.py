"""`hopnhat schedule [--json]` lists the platform's periodic jobs (hopnhat.core.schedule, registered by each app);
`hopnhat schedule systemd --output DIR` writes a `.service` + `.timer` pair per job (deploy/timers/ holds them)."""

from pathlib import Path

from django.core.management.base import CommandError

from hopnhat.core import schedule
from hopnhat.core.json_output import HopnhatCommand


class Command(HopnhatCommand):
    help = "Các việc chạy định kỳ và bộ hẹn giờ systemd / the periodic jobs and their systemd timers"
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        sub.required = False   # `hopnhat schedule` alone lists them
        sub.add_parser("list", help="liệt kê các việc định kỳ / list the periodic jobs (the default)")
        units = sub.add_parser("systemd", help="ghi tệp .service và .timer cho mỗi việc / write a .service and a "
                                               ".timer per job")
        units.add_argument("--output", required=True, metavar="DIR",
                           help="thư mục ghi tệp, ví dụ / where to write them, e.g. deploy/timers or "
                                "/etc/systemd/system")

    def handle(self, *args, **options):
        if options.get("action") == "systemd":
            self.systemd(Path(options["output"]))
        else:
            self.list_jobs()

    def list_jobs(self):
        jobs = schedule.jobs()
        width = max((len(job.name) for job in jobs), default=4) + 2
        when = max((len(job.schedule) for job in jobs), default=4) + 2
        lines = [f"{'việc / job':<{width}}{'lịch / OnCalendar':<{when}}lệnh / command"]
        for job in jobs:
            lines.append(f"{job.name:<{width}}{job.schedule:<{when}}{job.command_line}")
            lines.append(f"{'':<{width}}{job.why}")
            lines.append(f"{'':<{width}}{job.why.en}")
        lines.append(f"{len(jobs)} việc / jobs; cài đặt / install: hopnhat schedule systemd --output "
                     f"/etc/systemd/system && systemctl enable --now 'hopnhat-*.timer'")
        self.emit({"ok": True, "jobs": [job.as_dict() for job in jobs]}, "\n".join(lines))

    def systemd(self, directory: Path):
        try:
            written = schedule.write_units(directory)
        except OSError as exc:
            raise CommandError(f"Không ghi được vào {directory} / cannot write there: {exc}") from exc
        timers = sorted(p.name for p in written if p.suffix == ".timer")
        self.emit({"ok": True, "directory": str(directory), "files": [p.name for p in written], "timers": timers},
                  f"Đã ghi {len(written)} tệp vào {directory} / wrote {len(written)} files\n"
                  f"Bật / enable: systemctl daemon-reload && systemctl enable --now {' '.join(timers)}")
