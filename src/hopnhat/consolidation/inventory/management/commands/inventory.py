"""hopnhat inventory — the register of old systems, their assessment, decisions and the consolidation plan.

    hopnhat inventory template RA-SOAT.xlsx
    hopnhat inventory import RA-SOAT.xlsx [--dry-run]
    hopnhat inventory list [--unit 08] [--type tthc] [--duplicates]
    hopnhat inventory assess 08 tthc
    hopnhat inventory weights [capability=30 cost=10 …] --by nguyen.van.an
    hopnhat inventory decide tuyenquang-motcua keep --rationale "…" --by nguyen.van.an [--wave 1 --start … --end …]
    hopnhat inventory decide hagiang-motcua migrate --into tuyenquang-motcua --rationale "…" --by nguyen.van.an
    hopnhat inventory status 08
    hopnhat inventory export-plan KE-HOACH.xlsx
"""

import datetime
import sys

from django.core.management.base import CommandError

from hopnhat.consolidation.inventory import decisions, plan, scoring, spreadsheet, status
from hopnhat.consolidation.inventory.models import OldSystem, SystemType, new_unit_by_code, system_by_code
from hopnhat.core.json_output import HopnhatCommand, bad_input


def _date(text: str | None) -> datetime.date | None:
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise bad_input(f"Ngày “{text}” không đúng dạng dd/mm/yyyy / not a date")


def _lookup(function, code):
    try:
        return function(code)
    except LookupError as exc:
        raise bad_input(str(exc)) from None


class Command(HopnhatCommand):
    help = "Rà soát, đánh giá và kế hoạch hợp nhất các hệ thống cũ / inventory and assessment of old systems"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        p = sub.add_parser("template", help="tạo mẫu Excel / write the Excel template")
        p.add_argument("out")
        p = sub.add_parser("import", help="nhập tệp Excel đã điền / import a filled template")
        p.add_argument("file")
        p.add_argument("--dry-run", action="store_true")
        p.add_argument("--by", default="system:inventory-import", help="who imports (audit log)")
        p = sub.add_parser("list", help="liệt kê hệ thống / list systems")
        p.add_argument("--unit")
        p.add_argument("--type", choices=SystemType.values)
        p.add_argument("--duplicates", action="store_true", help="only the groups with several systems")
        p = sub.add_parser("assess", help="chấm điểm các ứng viên / score the candidates")
        p.add_argument("unit")
        p.add_argument("type", choices=SystemType.values)
        p = sub.add_parser("weights", help="xem hoặc sửa trọng số / show or change the weights")
        p.add_argument("changes", nargs="*", metavar="CRITERION=WEIGHT")
        p.add_argument("--by")
        p = sub.add_parser("decide", help="ghi quyết định / record a decision")
        p.add_argument("code")
        p.add_argument("decision", choices=[d for d in decisions.Decision.values])
        p.add_argument("--into")
        p.add_argument("--rationale", default="")
        p.add_argument("--by", required=True, help="who decided (audit log)")
        p.add_argument("--wave", type=int)
        p.add_argument("--start")
        p.add_argument("--end")
        p = sub.add_parser("status", help="bảng theo dõi một đơn vị mới / one new unit's dashboard")
        p.add_argument("unit")
        p = sub.add_parser("export-plan", help="xuất kế hoạch ra Excel / export the plan")
        p.add_argument("out")

    def handle(self, *args, **options):
        getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    def do_template(self, options):
        spreadsheet.write_template(options["out"])
        self.emit({"ok": True, "file": options["out"], "columns": [c.header for c in spreadsheet.COLUMNS]},
                  f"Đã tạo mẫu / template written: {options['out']}")

    def do_import(self, options):
        try:
            report = spreadsheet.import_register(options["file"], actor=options["by"], dry_run=options["dry_run"])
        except (spreadsheet.ImportFileError, FileNotFoundError) as exc:
            raise bad_input(str(exc)) from None
        self.emit(report.as_dict(), report.summary())
        if not report.ok:
            sys.exit(1)

    def do_list(self, options):
        systems = OldSystem.objects.select_related("agency", "new_unit")
        if options["unit"]:
            systems = systems.filter(new_unit=_lookup(new_unit_by_code, options["unit"]))
        if options["type"]:
            systems = systems.filter(system_type=options["type"])
        groups = scoring.duplicates(systems)
        if options["duplicates"]:
            codes = {code for g in groups for code in g.as_dict()["systems"]}
            systems = systems.filter(code__in=codes)
        rows = [{"code": s.code, "name": s.name, "type": s.system_type, "unit": s.new_unit.code,
                 "agency": s.agency.code, "agency_status": s.agency.status, "vendor": s.vendor,
                 "decision": s.decision, "wave": s.wave} for s in systems]
        human = [f"{r['unit']:>5}  {r['type']:<10} {r['code']:<28} {r['decision']:<10} {r['name']}" for r in rows]
        human += [f"⚠ trùng lặp / duplicates: {g.unit.name} · {g.system_type}: {', '.join(s.code for s in g.systems)}"
                  f"{' (đã xử lý / resolved)' if g.resolved else ''}" for g in groups]
        self.emit({"ok": True, "systems": rows, "duplicates": [g.as_dict() for g in groups]},
                  "\n".join(human) or "Chưa có hệ thống nào / no systems")

    def do_assess(self, options):
        unit = _lookup(new_unit_by_code, options["unit"])
        scores = scoring.assess(unit, options["type"])
        lines = []
        for score in scores:
            lines.append(f"#{score.rank} {score.system.code} — {score.total:.2f}/100 ({score.system.name})")
            lines += [f"    {p.label}: {p.raw} → {p.value:.3f} × {p.weight} = {p.points:.2f}  [{p.why}]"
                      for p in score.parts]
        self.emit({"ok": True, "unit": unit.code, "type": options["type"], "weights": scoring.current_weights(),
                   "duplicate": len(scores) > 1, "candidates": [s.as_dict() for s in scores]},
                  "\n".join(lines) or "Không có ứng viên / no candidates")

    def do_weights(self, options):
        if options["changes"]:
            if not options["by"]:
                raise bad_input("Cần --by (người sửa trọng số) / --by is required to change weights")
            changes = {}
            for item in options["changes"]:
                name, sep, value = item.partition("=")
                if not sep:
                    raise bad_input(f"“{item}”: dùng dạng tiêu_chí=số / use CRITERION=WEIGHT")
                changes[name.strip()] = value.strip()
            try:
                weights = scoring.set_weights(changes, options["by"])
            except scoring.WeightError as exc:
                raise bad_input(str(exc)) from None
        else:
            weights = scoring.current_weights()
        self.emit({"ok": True, "weights": weights}, "\n".join(f"{k}: {v}" for k, v in weights.items()))

    def do_decide(self, options):
        system = _lookup(system_by_code, options["code"])
        into = _lookup(system_by_code, options["into"]) if options["into"] else None
        try:
            system = decisions.decide(
                system, options["decision"], actor=options["by"], rationale=options["rationale"], into=into,
                wave=options["wave"], planned_start=_date(options["start"]), planned_end=_date(options["end"]))
        except decisions.DecisionError as exc:
            raise CommandError(str(exc)) from None
        self.emit({"ok": True, "code": system.code, "decision": system.decision,
                   "into": into.code if into else None, "wave": system.wave, "decided_by": system.decided_by},
                  f"{system.code}: {system.get_decision_display()}")

    def do_status(self, options):
        dashboard = status.unit_dashboard(_lookup(new_unit_by_code, options["unit"]))
        lines = [dashboard.unit.name]
        for t in dashboard.types:
            counts = ", ".join(f"{k} {v}" for k, v in t.counts.items())
            lines.append(f"  {t.label}: {t.state_label} — {len(t.lines)} hệ thống, {t.runs} lần chạy ({counts})"
                         f"{' — ' + t.note if t.note else ''}")
        self.emit({"ok": True, **dashboard.as_dict()}, "\n".join(lines))

    def do_export_plan(self, options):
        written = plan.write_plan(options["out"], OldSystem.objects.all())
        self.emit({"ok": True, "file": options["out"], **written},
                  f"Đã xuất kế hoạch / plan written: {options['out']} ({written['systems']} hệ thống, "
                  f"{written['units']} đơn vị)")
