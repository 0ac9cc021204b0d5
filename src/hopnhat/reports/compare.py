"""Units side by side for one indicator: each unit as merged (today's units, pre-reform periods through the
lineage, the apportioned part marked) and as reported (its own figures), over the same periods. The comparison
page, its CSV / JSON / SDMX downloads and the tests read these functions; the series themselves come from
`series.as_merged` / `series.as_reported`, nothing is computed twice.

    candidates(indicator) -> [AdminUnit]   units that reported it, and today's units that succeed them
    default_units(candidates) -> [AdminUnit]
    comparison(indicator, units, start, end, kind=None) -> Comparison
"""

import csv
import io
from dataclasses import dataclass

from hopnhat.org.models import AdminUnit, UnitSuccession, Vintage

from . import series
from .charts import PALETTE
from .models import DataValue, Indicator

MAX_UNITS = len(PALETTE)
LEVEL_ORDER = {"province": 0, "district": 1, "ward": 2}


def _order(unit: AdminUnit):
    return (unit.vintage != Vintage.NEW, LEVEL_ORDER.get(unit.level, 9), unit.name, unit.code)


def candidates(indicator: Indicator, limit: int = 400) -> list[AdminUnit]:
    """Units with a current figure of the indicator, and the units at the same level that succeed them (a new
    ward made from reporting old wards has a merged series even before it reported anything): today's units
    first, province before ward, by name."""
    reporters = DataValue.objects.filter(indicator=indicator, is_current=True).values("unit_id").distinct()
    ids = set(reporters.values_list("unit_id", flat=True))
    ids |= {successor for successor, before, after in UnitSuccession.objects.filter(predecessor_id__in=ids)
            .values_list("successor_id", "predecessor__level", "successor__level") if before == after}
    return sorted(AdminUnit.objects.filter(pk__in=ids), key=_order)[:limit]


def default_units(units: list[AdminUnit]) -> list[AdminUnit]:
    """Today's units at the lowest level where at least two can be compared (a split old ward's successors
    side by side), else today's units, else whatever reported; at most MAX_UNITS."""
    current = [u for u in units if u.vintage == Vintage.NEW]
    for level in ("ward", "district", "province"):
        same = [u for u in current if u.level == level]
        if len(same) >= 2:
            return same[:MAX_UNITS]
    return (current or units)[:MAX_UNITS]


@dataclass
class Line:
    unit: AdminUnit
    color: str
    merged: dict      # period code → series.Point
    reported: dict    # period code → series.Point


@dataclass
class Comparison:
    indicator: Indicator
    start: int
    end: int
    periods: list     # [(code, start date)] in time order
    lines: list[Line]

    def table(self) -> list[dict]:
        """One row per period: for each unit (merged point, reported point); either may be None."""
        return [{"period": code, "cells": [(line.merged.get(code), line.reported.get(code)) for line in self.lines]}
                for code, _ in self.periods]

    def as_dict(self) -> dict:
        return {"indicator": self.indicator.code, "indicator_name": self.indicator.name,
                "unit_of_measure": self.indicator.unit_of_measure, "from": self.start, "to": self.end,
                "periods": [code for code, _ in self.periods],
                "units": [{"unit": line.unit.node_id, "name": line.unit.name, "vintage": line.unit.vintage,
                           "level": line.unit.level,
                           "as_merged": [p.as_dict() for p in line.merged.values()],
                           "as_reported": [p.as_dict() for p in line.reported.values()]} for line in self.lines]}

    def csv_text(self) -> str:
        """The comparison as a flat table, both views side by side: one row per unit and period."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["indicator", "unit", "unit_name", "period", "as_merged", "estimated_part", "methods",
                         "as_reported"])
        for line in self.lines:
            for code, _ in self.periods:
                m, r = line.merged.get(code), line.reported.get(code)
                if m is None and r is None:
                    continue
                writer.writerow([
                    self.indicator.code, line.unit.node_id, line.unit.name, code,
                    "" if m is None or m.value is None else format(m.value.normalize(), "f"),
                    format(m.estimated_value.normalize(), "f") if m is not None and m.estimated else "",
                    " ".join(m.methods) if m is not None else "",
                    "" if r is None or r.value is None else format(r.value.normalize(), "f")])
        return out.getvalue()


def comparison(indicator: Indicator, units: list[AdminUnit], start: int, end: int,
               kind: str | None = None) -> Comparison:
    if not units:
        raise ValueError("chọn ít nhất một đơn vị / choose at least one unit")
    if len(units) > MAX_UNITS:
        raise ValueError(f"so sánh tối đa {MAX_UNITS} đơn vị / compare at most {MAX_UNITS} units")
    lines, starts = [], {}
    for i, unit in enumerate(units):
        merged = series.as_merged(indicator, unit, start, end, kind)
        reported = series.as_reported(indicator, unit, start, end, kind)
        for p in (*merged, *reported):
            starts.setdefault(p.period, (p.start, p.end))
        lines.append(Line(unit, PALETTE[i], {p.period: p for p in merged}, {p.period: p for p in reported}))
    periods = [(code, s) for code, (s, _) in sorted(starts.items(), key=lambda kv: kv[1])]
    return Comparison(indicator, start, end, periods, lines)
