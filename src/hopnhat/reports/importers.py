"""The old systems' figures, through the consolidation engine (consolidation/api.py).

Two source kinds and one importer, registered in ReportsConfig.ready():

  source kind `report_workbook` — an old unit's Excel report: a sheet with one row per unit and one column per
  indicator (header cells may be merged across columns; a merged unit cell covers the rows below it). The
  mapping's YAML says which header means which indicator:

      system: bc-hagiang
      importer: reports.value
      source: {kind: report_workbook, path: bc-2024.xlsx, sheet: "Biểu 01", header_row: 3,
               unit_column: "Đơn vị", period: "2024", total_label: "Tổng cộng",
               indicators: {"Số trẻ sinh ra": DS01, "Dân số trung bình": DS02}}

  source kind `dhis2_datavalues` — a DHIS2 `dataValueSets` JSON export; the mapping names DHIS2 ids:

      source: {kind: dhis2_datavalues, path: dvs.json,
               data_elements: {fbfJHSPpUQD: DS01}, org_units: {DiszpKrYNg8: "VN/2025-06-30/province/02"},
               category_option_combos: {HllvX50cXC0: ""}}

  importer `reports.value` — one figure per record, stored against the unit that reported it (resolved among
  the units valid in the period: an old unit stays the old unit). Unknown or ambiguous units, numbers that are
  no numbers and totals that do not add up are quarantined with the cell named; a total that adds up is
  filtered (rule `total-row`)."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from hopnhat.consolidation import api
from hopnhat.core.text import nfc
from hopnhat.org import lineage
from hopnhat.org.models import AdminUnit

from . import periods
from .collection import parse_number, record_values
from .models import DataValue, Indicator


def _path(config, base_dir) -> Path:
    path = Path(config["path"])
    return Path(base_dir) / path if not path.is_absolute() and base_dir else path


class ReportWorkbookSource(api.Source):
    kind = "report_workbook"

    def describe(self) -> str:
        return Path(self.config["path"]).name

    def _sheet(self):
        import openpyxl

        book = openpyxl.load_workbook(_path(self.config, self.base_dir), data_only=True)
        ws = book[self.config["sheet"]] if self.config.get("sheet") else book.worksheets[0]
        # A merged range holds its value in the top-left cell only: spread it over the range.
        grid = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row}
        for merged in ws.merged_cells.ranges:
            value = grid.get((merged.min_row, merged.min_col))
            for r in range(merged.min_row, merged.max_row + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    grid[(r, col)] = value
        return ws, grid

    def records(self, since=None):
        from openpyxl.utils import get_column_letter

        ws, grid = self._sheet()
        header_row = int(self.config.get("header_row", 1))
        wanted = {nfc(str(k)).strip(): v for k, v in (self.config.get("indicators") or {}).items()}
        unit_label = nfc(self.config.get("unit_column", "Đơn vị"))
        total_label = nfc(self.config.get("total_label", "Tổng cộng")).casefold()
        columns, unit_col = {}, None
        for col in range(1, ws.max_column + 1):
            head = nfc(str(grid.get((header_row, col)) or "")).strip()
            if head == unit_label:
                unit_col = col
            elif head in wanted:
                columns[col] = wanted[head]
        if unit_col is None:
            raise api.MappingError("unit_column", f"không thấy cột “{unit_label}” ở dòng {header_row}")
        sums: dict[int, Decimal] = {col: Decimal(0) for col in columns}
        name = self.describe()
        for r in range(header_row + 1, ws.max_row + 1):
            unit = nfc(str(grid.get((r, unit_col)) or "")).strip()
            if not unit:
                continue
            is_total = unit.casefold() == total_label
            for col, code in columns.items():
                raw = grid.get((r, col))
                if raw in (None, ""):
                    continue
                cell = f"{get_column_letter(col)}{r}"
                data = {"unit": unit, "indicator": code, "period": str(self.config.get("period", "")),
                        "value": raw if isinstance(raw, str | int | float) else str(raw), "cell": cell,
                        "sheet": ws.title, "file": name}
                if is_total:
                    data["total_of_parts"] = str(sums[col])
                else:
                    try:
                        sums[col] += parse_number(raw) or 0
                    except ValueError:
                        pass
                yield api.SourceRecord(key=f"{ws.title}!{cell}", data=data)


_DHIS2_PERIOD = {"quarter": ("Q", "Q"), "six": ("S", "H")}


def dhis2_period(code: str) -> str:
    """DHIS2 period ids → ours: 202401 → 2024M01, 2024Q1, 2024S1 → 2024H1, 2024 → 2024."""
    code = str(code).strip()
    if len(code) == 6 and code.isdigit():
        return f"{code[:4]}M{code[4:]}"
    if len(code) == 6 and code[4] == "S":
        return f"{code[:4]}H{code[5]}"
    return code


class Dhis2DataValuesSource(api.Source):
    kind = "dhis2_datavalues"

    def describe(self) -> str:
        return Path(self.config["path"]).name

    def records(self, since=None):
        doc = json.loads(_path(self.config, self.base_dir).read_text(encoding="utf-8"))
        elements = self.config.get("data_elements") or {}
        org_units = self.config.get("org_units") or {}
        combos = self.config.get("category_option_combos") or {}
        for index, dv in enumerate(doc.get("dataValues") or []):
            element, ou = dv.get("dataElement", ""), dv.get("orgUnit", "")
            combo = dv.get("categoryOptionCombo", "")
            yield api.SourceRecord(
                key=f"{element}/{dv.get('period')}/{ou}/{combo}",
                cursor=dv.get("lastUpdated"), deleted=bool(dv.get("deleted")),
                data={"unit": org_units.get(ou, ou), "indicator": elements.get(element, element),
                      "period": dhis2_period(dv.get("period", "")), "value": dv.get("value"),
                      "disaggregation": combos.get(combo, combo), "cell": f"dataValues[{index}]",
                      "file": self.describe()})


def _unit(name: str, period: periods.Period) -> list[AdminUnit]:
    at = min(period.end, datetime.date(2025, 6, 30)) if period.end < datetime.date(2025, 7, 1) else period.end
    return [m.unit for m in lineage.resolve(name, at=at)]


@api.register_importer
class ValueImporter(api.DomainImporter):
    name = "reports.value"
    target_model = "reports.DataValue"
    reconcile_fields: dict = {}  # the source keeps text ("1.234,5"); the figure is checked in import_record

    def import_record(self, record, mapped, ctx):
        where = f"{mapped.get('file', '')} {mapped.get('cell', '')}".strip()
        try:
            period = periods.parse(mapped.get("period") or "")
        except periods.PeriodError as exc:
            return api.quarantined(f"{where}: {exc}")
        indicator = Indicator.objects.filter(code=mapped.get("indicator") or "").first()
        if indicator is None:
            return api.quarantined(f"{where}: không có chỉ tiêu “{mapped.get('indicator')}” / unknown indicator")
        try:
            value = parse_number(mapped.get("value"))
        except ValueError:
            return api.quarantined(f"{where}: “{mapped.get('value')}” không phải số / not a number", cell=where)
        if value is None:
            return api.filtered("empty-cell")
        if "total_of_parts" in mapped:
            parts = Decimal(mapped["total_of_parts"])
            if parts != value:
                return api.quarantined(f"{where}: tổng {value} khác tổng các dòng {parts} / the total does not "
                                       f"add up", cell=where, total=str(value), parts=str(parts))
            return api.filtered("total-row")
        name = ctx.mapping.crosswalks.get("unit", {}).get(mapped["unit"], mapped["unit"])
        units = _unit(name, period)
        if len(units) != 1:
            why = "không có đơn vị" if not units else f"{len(units)} đơn vị trùng tên"
            return api.quarantined(f"{where}: {why} “{mapped['unit']}” / unknown or ambiguous unit", cell=where)
        disaggregation = mapped.get("disaggregation") or ""
        if not ctx.dry_run:
            record_values([(indicator, units[0], None, period.code, disaggregation, value)],
                          f"import:{ctx.mapping.system}", ctx.actor)
        row = DataValue.objects.filter(indicator=indicator, unit=units[0], period=period.code,
                                       disaggregation=disaggregation, is_current=True).first()
        return api.loaded(row) if row else api.loaded(api.Ref(DataValue, None))


api.register_source_kind("report_workbook", ReportWorkbookSource)
api.register_source_kind("dhis2_datavalues", Dhis2DataValuesSource)
