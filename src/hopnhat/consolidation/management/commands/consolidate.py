"""hopnhat consolidate run MAPPING.yaml [--dry-run] [--full-scan] [--retry-quarantined] [--worker]
hopnhat consolidate status [SYSTEM]
hopnhat consolidate reconcile RUN
hopnhat consolidate cutover SYSTEM STEP
hopnhat consolidate review list [--system S] | review decide ID merge|separate
hopnhat consolidate purge-staging [--dry-run]    raw records of systems switched off past the retention period
hopnhat consolidate quarantine SYSTEM|RUN [--stream S]   every record waiting for a decision (no limit)

Every sub-command takes --json. A run that does not balance exits with status 3."""

import sys

from django.core.management.base import CommandError

from hopnhat.consolidation import cutover, quarantine, reconciliation, review, selectors
from hopnhat.consolidation.engine import Progress, run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import CutoverStep, MigrationRun, ReviewItem, ReviewStatus
from hopnhat.core.json_output import HopnhatCommand, bad_input

UNBALANCED = 3


class RichProgress(Progress):
    """A progress bar with rate and ETA on stderr (stdout stays for the answer)."""

    def start(self, total, description):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} bản ghi/s" if speed else "", style="progress.data.speed")

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), RateColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.bar.start()
        self.task = self.bar.add_task(description, total=total)

    def advance(self, n):
        self.bar.advance(self.task, n)

    def finish(self):
        self.bar.stop()


def _actor(options) -> str:
    return options.get("actor") or "system:consolidate"


class Command(HopnhatCommand):
    help = "Chuyển đổi dữ liệu từ hệ thống cũ / migrate data from the old systems"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        run = sub.add_parser("run", help="chạy một tệp ánh xạ / run one mapping file")
        run.add_argument("mapping")
        run.add_argument("--dry-run", action="store_true", help="đọc và kiểm tra, không ghi / change nothing")
        run.add_argument("--full-scan", action="store_true", help="bỏ qua con trỏ, đọc hết / ignore the cursor")
        run.add_argument("--retry-quarantined", action="store_true",
                         help="nạp lại bản ghi cách ly không đổi / retry unchanged quarantined records")
        run.add_argument("--worker", action="store_true", help="giao cho tiến trình nền / enqueue as a task")
        run.add_argument("--actor", default="")
        status = sub.add_parser("status", help="tình trạng các hệ thống / where each system stands")
        status.add_argument("system", nargs="?")
        rec = sub.add_parser("reconcile", help="đối soát một lượt / reconcile one run")
        rec.add_argument("run", type=int)
        cut = sub.add_parser("cutover", help="một bước chuyển đổi hệ thống / one cutover step")
        cut.add_argument("system")
        cut.add_argument("step", choices=cutover.STEPS)
        cut.add_argument("--actor", default="")
        qua = sub.add_parser("quarantine", help="bản ghi cách ly chờ quyết định / records waiting for a decision")
        qua.add_argument("target", help="mã hệ thống hoặc số lượt / a system code or a run number")
        qua.add_argument("--stream", default="")
        rev = sub.add_parser("review", help="cặp nghi trùng / duplicate review queue")
        rev.add_argument("review_action", choices=["list", "decide"])
        rev.add_argument("decision", nargs="*", help="decide: ID merge|separate")
        rev.add_argument("--system", default="")
        rev.add_argument("--actor", default="")
        purge = sub.add_parser("purge-staging", help="xoá bản ghi gốc của hệ thống đã tắt quá hạn lưu giữ / purge "
                                                    "raw staged records of systems switched off past retention")
        purge.add_argument("--dry-run", action="store_true", help="chỉ đếm / only count")
        purge.add_argument("--actor", default="")

    def handle(self, *args, **options):
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _run(self, options):
        try:
            mapping = Mapping.from_yaml(options["mapping"])
        except OSError as exc:
            raise bad_input(f"{options['mapping']}: không đọc được tệp ánh xạ / cannot read the mapping: "
                            f"{exc.strerror or exc}") from exc
        except (ValueError, LookupError) as exc:
            raise bad_input(f"{options['mapping']}: {exc}") from exc
        if options["worker"]:
            from hopnhat.consolidation.tasks import run_mapping_task

            result = run_mapping_task.enqueue(mapping.as_dict(), _actor(options), options["dry_run"])
            self.emit({"ok": True, "task": str(result.id), "status": str(result.status)},
                      f"Đã giao tác vụ {result.id} / task enqueued")
            return
        try:
            run = run_mapping(mapping, actor=_actor(options), dry_run=options["dry_run"],
                              full_scan=options["full_scan"], retry_quarantined=options["retry_quarantined"],
                              progress=None if self.as_json else RichProgress())
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 — the run row says failed; the operator gets one clear line
            raise CommandError(f"{mapping.system}/{mapping.stream}: lượt chuyển đổi thất bại / the run failed: "
                               f"{type(exc).__name__}: {exc}") from exc
        data = {"ok": bool(run.balanced), "run": run.pk, "system": run.system, "stream": run.stream,
                "dry_run": run.dry_run, "balanced": run.balanced, "totals": run.totals,
                "report": str(reconciliation.report_dir() / f"run-{run.pk}.html")}
        t = run.totals
        o = t["outcomes"]
        said = reconciliation.verdict(run.balanced, reconciliation.cumulative(run.system, run.stream)["waiting"])
        data.update(said)
        self.emit(data, (
            f"Lượt #{run.pk} {run.system}/{run.stream}{' (chạy thử / dry run)' if run.dry_run else ''}: "
            f"đọc {t['read']} (mới {t['new']}, đổi {t['changed']}, không đổi {t['unchanged']}, "
            f"xóa {t['deleted']}); nạp {o['loaded']}, gộp {o['merged']}, cách ly {o['quarantined']}, "
            f"lọc {o['filtered']}; nghi trùng {t.get('reviews', 0)}.\n"
            f"{said['verdict_vi']} / {said['verdict_en']} — {data['report']}"))
        if not run.balanced:
            sys.exit(UNBALANCED)

    def _status(self, options):
        systems = [options["system"]] if options.get("system") else sorted(
            set(MigrationRun.objects.values_list("system", flat=True)))
        from hopnhat.consolidation.inventory.models import OldSystem

        registered = set(OldSystem.objects.filter(code__in=systems).values_list("code", flat=True))
        data = [{**selectors.system_totals(s), "cutover": selectors.cutover_state(s), "registered": s in registered}
                for s in systems]
        steps = dict(CutoverStep.choices)
        lines = [f"{d['system']}: {d['staged']} bản ghi — nạp {d['loaded']}, gộp {d['merged']}, cách ly "
                 f"{d['quarantined']}, lọc {d['filtered']}; {'cân đối' if d['balanced'] else 'KHÔNG cân đối'}; "
                 f"chuyển đổi: {steps.get(d['cutover'], d['cutover'])}; "
                 f"chờ xem xét {d['pending_reviews']}"
                 + ("" if d["registered"] else " — chưa có trong danh mục hệ thống cũ")
                 for d in data]
        self.emit({"ok": True, "systems": data}, "\n".join(lines) or "Chưa có lượt nào / no runs yet")

    def _reconcile(self, options):
        run = MigrationRun.objects.filter(pk=options["run"]).first()
        if run is None:
            raise bad_input(f"không có lượt #{options['run']} / no run #{options['run']}")
        result = reconciliation.reconcile_run(run)
        paths = reconciliation.write_report(run, result)
        self.emit({"ok": result["balanced"], **result, "report": paths},
                  f"Lượt #{run.pk}: {result['verdict_vi']} / {result['verdict_en']} — {paths['html']}")
        if not result["balanced"]:
            sys.exit(UNBALANCED)

    def _quarantine(self, options):
        target = options["target"].lstrip("#")
        if target.isascii() and target.isdigit():
            if not MigrationRun.objects.filter(pk=int(target)).exists():
                raise bad_input(f"không có lượt #{target} / no run #{target}")
            entries = quarantine.listing(run=int(target), stream=options["stream"] or None)
        else:
            if not MigrationRun.objects.filter(system=target).exists():
                raise bad_input(f"hệ thống “{target}” chưa có lượt nào / no runs of system {target!r}")
            entries = quarantine.listing(target, stream=options["stream"] or None)
        lines = [f"{e['system']}/{e['stream']} khóa {e['key']} (lượt #{e['run']}): {e['reason']}"
                 + (f"\n    {e['column']} = {e['value']!r}" if e["column"] else "") for e in entries]
        self.emit({"ok": True, "target": target, "count": len(entries), "records": entries},
                  "\n".join([f"{len(entries)} bản ghi chờ quyết định / {len(entries)} waiting for a decision",
                             *lines]))

    def _cutover(self, options):
        try:
            result = cutover.step(options["system"], options["step"], _actor(options),
                                  progress_factory=None if self.as_json else RichProgress)
        except cutover.CutoverError as exc:
            raise CommandError(str(exc)) from exc
        self.emit({"ok": True, **result}, f"{result['system']}: {options['step']} → {result['state']}")

    def _purge_staging(self, options):
        from hopnhat.consolidation.staging import purge_staging

        report = purge_staging(actor=_actor(options), dry_run=options["dry_run"])
        verb = "sẽ xoá / would purge" if options["dry_run"] else "đã xoá / purged"
        lines = [f"Lưu giữ / retention: {report['retention_days']} ngày/days; {verb} {report['records']} bản ghi "
                 f"gốc / raw records"]
        lines += [f"  {s['system']} (tắt / off {s['switched_off'][:10]}): {s['records']}" for s in report["systems"]]
        self.emit({"ok": True, **report}, "\n".join(lines))

    def _review(self, options):
        if options["review_action"] == "list":
            items = ReviewItem.objects.filter(status=ReviewStatus.PENDING)
            if options["system"]:
                items = items.filter(system=options["system"])
            data = [{"id": i.pk, "system": i.system, "kind": i.kind, "score": i.score, "left": str(i.left),
                     "left_pk": i.left_pk, "right": str(i.right), "right_pk": i.right_pk, "detail": i.detail}
                    for i in items]
            self.emit({"ok": True, "pending": data}, "\n".join(
                f"#{d['id']} [{d['kind']}, {d['score']:.2f}] {d['left']} (#{d['left_pk']}) ~ {d['right']} "
                f"(#{d['right_pk']})" for d in data) or "Không có cặp nào chờ / nothing pending")
            return
        if len(options["decision"]) != 2:
            raise bad_input("cần: review decide ID merge|separate / usage: review decide ID merge|separate")
        ident = options["decision"][0].lstrip("#")
        item = ReviewItem.objects.filter(pk=int(ident)).first() if ident.isascii() and ident.isdigit() else None
        if item is None:
            raise bad_input(f"không có cặp nghi trùng #{ident} / no review item #{ident}")
        try:
            item = review.decide(item, options["decision"][1], _actor(options))
        except review.ReviewError as exc:
            raise CommandError(str(exc)) from exc
        self.emit({"ok": True, "id": item.pk, "status": item.status}, f"#{item.pk}: {item.get_status_display()}")
