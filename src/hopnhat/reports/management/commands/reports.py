"""hopnhat reports catalogue import|export FILE
hopnhat reports import FILE.xlsx --form CODE --agency CODE --period 2024Q4 [--submit]
hopnhat reports template FILE.xlsx --form CODE [--agency CODE] [--period 2024Q4]
hopnhat reports series INDICATOR UNIT --from 2023 --to 2026 [--as-reported] [--kind M|Q|H|N|Y]
hopnhat reports overdue [--on YYYY-MM-DD]
hopnhat reports export --format sdmx-ml|sdmx-csv|qcvn125 --indicator CODE… --unit UNIT… --from 2023 --to 2026 --out DIR
hopnhat reports compute PERIOD       indicators computed from the platform's dossiers

Each takes --json. Exit codes: 0 done, 1 validation failed / nothing found, 2 bad input."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.org import lineage
from hopnhat.org.agencies import resolve_agency
from hopnhat.reports import catalogue, collection, series
from hopnhat.reports.models import Form, Indicator

ACTOR = "system:reports-cli"


def _bad(message: str) -> CommandError:
    return bad_input(message)


def find_form(code: str) -> Form:
    form = Form.objects.filter(code=code).first()
    if form is None:
        raise _bad(f"không có biểu mẫu '{code}' / no form with code {code}")
    return form


def find_agency(code: str):
    try:
        found = resolve_agency(code)
    except ValidationError as exc:
        raise _bad(f"mã cơ quan không hợp lệ '{code}' / bad agency code: {' '.join(exc.messages)}") from exc
    if len(found) != 1:
        raise _bad(f"không xác định được cơ quan '{code}' ({len(found)} kết quả) / agency {code} matches "
                   f"{len(found)}")
    return found[0]


def find_unit(query: str):
    matches = lineage.resolve(query)
    if len(matches) != 1:
        names = "; ".join(m.unit.node_id for m in matches[:5])
        raise _bad(f"không xác định được đơn vị '{query}' ({len(matches)} kết quả{': ' + names if names else ''}) / "
                   f"unit {query} matches {len(matches)}; give a node id VN/2025-07-01/province/08")
    return matches[0].unit


class Command(HopnhatCommand):
    help = "Báo cáo thống kê: danh mục, thu thập, chuỗi số liệu / reporting: catalogue, collection, series"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        cat = sub.add_parser("catalogue", help="danh mục chế độ, chỉ tiêu, kỳ, biểu mẫu / the catalogue as Excel")
        cat_sub = self.add_subcommands(cat, dest="catalogue_action")
        for name in ("import", "export"):
            one = cat_sub.add_parser(name, help=f"{name} the catalogue workbook")
            one.add_argument("file")
        imp = sub.add_parser("import", help="nhập biểu mẫu Excel đã điền / import a filled form template")
        imp.add_argument("file")
        imp.add_argument("--form", required=True)
        imp.add_argument("--agency", required=True, help="mã định danh cơ quan / agency code")
        imp.add_argument("--period", required=True, help="2024Q4, 2024M03, 2024H1, 2024N9, 2024")
        imp.add_argument("--submit", action="store_true", help="gửi luôn sau khi nhập / submit after import")
        tpl = sub.add_parser("template", help="tải biểu mẫu Excel để điền / write the Excel template")
        tpl.add_argument("file")
        tpl.add_argument("--form", required=True)
        tpl.add_argument("--agency", default="")
        tpl.add_argument("--period", default="")
        ser = sub.add_parser("series", help="chuỗi số liệu của một đơn vị / a unit's series")
        ser.add_argument("indicator")
        ser.add_argument("unit", help="mã, tên hoặc node id của đơn vị / unit code, name or node id")
        ser.add_argument("--from", dest="start", type=int, default=2023)
        ser.add_argument("--to", dest="end", type=int, default=2026)
        ser.add_argument("--as-reported", action="store_true", help="như đã báo cáo / as the unit reported it")
        ser.add_argument("--kind", default=None, choices=["M", "Q", "H", "N", "Y"])
        exp = sub.add_parser("export", help="xuất SDMX / QCVN 125 / export SDMX or QCVN 125 packets")
        exp.add_argument("--format", dest="fmt", required=True, choices=["sdmx-ml", "sdmx-csv", "qcvn125"])
        exp.add_argument("--indicator", action="append", required=True)
        exp.add_argument("--unit", action="append", required=True)
        exp.add_argument("--from", dest="start", type=int, default=2023)
        exp.add_argument("--to", dest="end", type=int, default=2026)
        exp.add_argument("--kind", default=None, choices=["M", "Q", "H", "N", "Y"])
        exp.add_argument("--out", required=True, help="thư mục ra / output directory")
        comp = sub.add_parser("compute", help="tính chỉ tiêu từ dữ liệu hồ sơ / compute indicators from dossiers")
        comp.add_argument("period")
        due = sub.add_parser("overdue", help="báo cáo quá hạn theo cơ quan / overdue reports per agency")
        due.add_argument("--on", default="", help="YYYY-MM-DD (default today)")

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_catalogue(self, catalogue_action, file, **options):
        try:
            if catalogue_action == "export":
                counts = catalogue.export_workbook(file)
                human = f"Đã ghi {file}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
            else:
                counts = catalogue.import_workbook(file, ACTOR)
                human = f"Đã nhập {file}: " + ", ".join(
                    f"{k} +{v['created']}/~{v['updated']}" for k, v in counts.items())
        except catalogue.CatalogueError as exc:
            raise _bad(str(exc)) from exc
        self.emit({"ok": True, "file": file, "counts": counts}, human)

    def handle_import(self, file, form, agency, period, submit, **options):
        the_form, the_agency = find_form(form), find_agency(agency)
        try:
            result = collection.import_upload(the_form, the_agency, period, file, ACTOR)
            if result.ok and submit:
                collection.move(result.report, "submit", ACTOR)
        except collection.CollectionError as exc:
            raise _bad(str(exc)) from exc
        data = result.as_dict()
        lines = [f"{'Đã nhập' if result.ok else 'Không nhập'} {file} → {form} {agency} {period}"]
        lines += [f"  LỖI {p.cell} [{p.rule}] {p.message}" for p in result.errors]
        lines += [f"  CẢNH BÁO {p.cell} [{p.rule}] {p.message}" for p in result.warnings]
        self.emit(data, "\n".join(lines))
        if not result.ok:
            raise SystemExit(1)

    def handle_template(self, file, form, agency, period, **options):
        the_form = find_form(form)
        the_agency = find_agency(agency) if agency else None
        collection.template(the_form, the_agency, period).save(file)
        self.emit({"ok": True, "file": file, "form": form}, f"Đã ghi biểu mẫu {form} vào {file}")

    def handle_series(self, indicator, unit, start, end, as_reported, kind, **options):
        the_indicator = Indicator.objects.filter(code=indicator).first()
        if the_indicator is None:
            raise _bad(f"không có chỉ tiêu '{indicator}' / no indicator with code {indicator}")
        the_unit = find_unit(unit)
        fn = series.as_reported if as_reported else series.as_merged
        points = fn(the_indicator, the_unit, start, end, kind)
        data = {"indicator": the_indicator.code, "unit": the_unit.node_id, "unit_name": the_unit.name,
                "mode": "as_reported" if as_reported else "as_merged", "points": [p.as_dict() for p in points]}
        lines = [f"{the_indicator.code} {the_indicator.name} — {the_unit.name} "
                 f"({'như đã báo cáo' if as_reported else 'theo đơn vị hiện nay'})"]
        for p in points:
            mark = f"  ước tính ({', '.join(p.methods)})" if p.estimated else ""
            lines.append(f"  {p.period:<8} {collection.format_number(p.value):>16}{mark}")
        self.emit(data, "\n".join(lines))
        if not points:
            raise SystemExit(1)

    def handle_export(self, fmt, indicator, unit, start, end, kind, out, **options):
        from pathlib import Path

        from hopnhat.reports import exports

        indicators = []
        for code in indicator:
            found = Indicator.objects.filter(code=code).first()
            if found is None:
                raise _bad(f"không có chỉ tiêu '{code}' / no indicator with code {code}")
            indicators.append(found)
        units = [find_unit(u) for u in unit]
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        if fmt == "sdmx-ml":
            files = exports.to_sdmx_ml(indicators, units, start, end, kind)
        elif fmt == "qcvn125":
            files = exports.qcvn125_bytes(exports.qcvn125_packets(indicators, units, start, end, kind))
        else:
            exports.to_sdmx_csv(indicators, units, start, end, folder / "data.csv", kind)
            files = {}
        for name, body in files.items():
            (folder / name).write_bytes(body)
        written = sorted(str(folder / n) for n in (files or {"data.csv": b""}))
        self.emit({"ok": True, "format": fmt, "files": written}, "Đã ghi / written: " + ", ".join(written))

    def handle_compute(self, period, **options):
        from hopnhat.reports import computed

        try:
            result = computed.compute(period, ACTOR)
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        self.emit(result, f"{result['period']}: {result['stored']} số liệu / figures stored "
                          f"({', '.join(result['indicators']) or '—'})")

    def handle_overdue(self, on, **options):
        try:
            today = datetime.date.fromisoformat(on) if on else None
        except ValueError as exc:
            raise _bad(f"ngày không hợp lệ / bad date: {on}") from exc
        rows = collection.overdue(today)
        lines = [f"{a['agency']} {a['name']}: " + ", ".join(f"{r['form']} {r['period']} (hạn {r['due']})"
                                                          for r in a["reports"]) for a in rows]
        self.emit({"agencies": rows}, "\n".join(lines) or "Không có báo cáo quá hạn / nothing overdue")
