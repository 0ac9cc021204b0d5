"""A unit's series, as reported and as merged.

    as_reported(indicator, unit, start_year, end_year, kind=None) -> list[Point]
        The unit's own figures, as it reported them (current versions only).
    as_merged(indicator, unit, start_year, end_year, kind=None) -> list[Point]
        For each period: the unit's own figure where it reported one; otherwise the sum over its predecessors
        (org.lineage), each weighted: a whole predecessor by 1, a split (partial) predecessor by the
        ApportionmentWeight on its lineage edge, or equal shares among the predecessor's successors at the unit's
        level when no weight was entered. A point with any apportioned part is `estimated`, with the methods named.
        Averages are weighted means; ratios are the merged numerator over the merged denominator × factor.
    as_merged_area(indicator, province, start_year, end_year, kind=None) -> list[Point]
        A new province's series: its new wards' as-merged figures added up (averaged; a ratio of the sums), in
        SQL, the lineage weights joined to the figures in the database (bench/reports_series.py).
    as_merged_area_reference(...)  the same in Python through as_merged per ward: the tests' yardstick.

Nothing here writes: the old units' rows are read as they are."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from hopnhat.org import lineage
from hopnhat.org.models import AdminUnit, SuccessionKind

from .models import Aggregation, ApportionmentWeight, DataValue, Indicator, WeightMethod
from .periods import parse


@dataclass
class Part:
    unit: AdminUnit
    value: Decimal
    weight: Decimal
    method: str  # whole | population | area | equal | staff

    def as_dict(self) -> dict:
        return {"unit": self.unit.node_id, "unit_name": self.unit.name, "value": float(self.value),
                "weight": float(self.weight), "method": self.method}


@dataclass
class Point:
    period: str
    start: datetime.date
    end: datetime.date
    value: Decimal | None
    estimated: bool = False
    methods: tuple[str, ...] = ()
    reported_by: str = ""  # node id of the unit whose own figure this is, "" when computed from predecessors
    estimated_value: Decimal = Decimal(0)  # the apportioned part of `value`
    parts: list[Part] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": self.period, "start": self.start, "end": self.end,
                "value": None if self.value is None else float(self.value), "estimated": self.estimated,
                "estimated_value": float(self.estimated_value), "methods": list(self.methods),
                "reported_by": self.reported_by, "parts": [p.as_dict() for p in self.parts]}


def _own(indicator: Indicator, units: list[AdminUnit], start_year: int, end_year: int, kind: str | None,
         disaggregation: str = "") -> dict[int, dict[str, tuple[Decimal, datetime.date, datetime.date]]]:
    rows = DataValue.objects.filter(indicator=indicator, unit__in=units, is_current=True,
                                    disaggregation=disaggregation,
                                    period_start__gte=datetime.date(start_year, 1, 1),
                                    period_end__lte=datetime.date(end_year, 12, 31))
    if kind:
        rows = rows.filter(period_kind=kind)
    out: dict[int, dict] = defaultdict(dict)
    # One row is current per key (collection keeps it so); were there two, the latest (highest id) would count.
    for unit_id, period, value, start, end in rows.order_by("pk").values_list("unit_id", "period", "value",
                                                                              "period_start", "period_end"):
        out[unit_id][period] = (value, start, end)
    return out


def as_reported(indicator: Indicator, unit: AdminUnit, start_year: int, end_year: int, kind: str | None = None,
                disaggregation: str = "") -> list[Point]:
    own = _own(indicator, [unit], start_year, end_year, kind, disaggregation).get(unit.pk, {})
    points = [Point(p, s, e, v, reported_by=unit.node_id) for p, (v, s, e) in own.items()]
    return sorted(points, key=lambda p: (p.start, p.end))


def weights(unit: AdminUnit) -> list[tuple[AdminUnit, Decimal, str]]:
    """(predecessor, weight, method) for each predecessor at the unit's own level."""
    out = []
    for edge in lineage.predecessors(unit, level=unit.level):
        if edge.kind == SuccessionKind.WHOLE:
            out.append((edge.unit, Decimal(1), "whole"))
            continue
        stored = ApportionmentWeight.objects.filter(edge__predecessor=edge.unit, edge__successor=unit).first()
        if stored:
            out.append((edge.unit, stored.weight, stored.method))
        else:
            n = len(lineage.successors(edge.unit, level=unit.level)) or 1
            out.append((edge.unit, Decimal(1) / Decimal(n), WeightMethod.EQUAL.value))
    return out


def _merge(indicator: Indicator, unit: AdminUnit, start_year: int, end_year: int, kind: str | None,
           disaggregation: str) -> list[Point]:
    preds = weights(unit)
    own = _own(indicator, [unit] + [p for p, _, _ in preds], start_year, end_year, kind, disaggregation)
    mine = own.get(unit.pk, {})
    periods: dict[str, tuple[datetime.date, datetime.date]] = {p: (s, e) for p, (_, s, e) in mine.items()}
    for pred, _, _ in preds:
        for p, (_, s, e) in own.get(pred.pk, {}).items():
            periods.setdefault(p, (s, e))
    points = []
    for period, (start, end) in periods.items():
        if period in mine:
            points.append(Point(period, start, end, mine[period][0], reported_by=unit.node_id))
            continue
        parts = [Part(pred, own[pred.pk][period][0], w, m) for pred, w, m in preds if period in own.get(pred.pk, {})]
        if indicator.aggregation == Aggregation.AVERAGE:
            total_w = sum((p.weight for p in parts), Decimal(0)) or Decimal(1)
            value = sum((p.value * p.weight for p in parts), Decimal(0)) / total_w
        else:
            value = sum((p.value * p.weight for p in parts), Decimal(0))
        estimated = [p for p in parts if p.method != "whole"]
        est_value = sum((p.value * p.weight for p in estimated), Decimal(0))
        if indicator.aggregation == Aggregation.AVERAGE and estimated:
            est_value = value
        points.append(Point(period, start, end, value, estimated=bool(estimated),
                            methods=tuple(sorted({p.method for p in estimated})), estimated_value=est_value,
                            parts=parts))
    return sorted(points, key=lambda p: (p.start, p.end))


def as_merged(indicator: Indicator, unit: AdminUnit, start_year: int, end_year: int, kind: str | None = None,
              disaggregation: str = "") -> list[Point]:
    if indicator.aggregation != Aggregation.RATIO:
        return _merge(indicator, unit, start_year, end_year, kind, disaggregation)
    num = {p.period: p for p in _merge(indicator.numerator, unit, start_year, end_year, kind, disaggregation)}
    den = {p.period: p for p in _merge(indicator.denominator, unit, start_year, end_year, kind, disaggregation)}
    own = {p.period: p for p in as_reported(indicator, unit, start_year, end_year, kind, disaggregation)}
    points = []
    for period in sorted(set(num) & set(den) | set(own), key=lambda c: (parse(c).start, parse(c).end)):
        if period in own:
            points.append(own[period])
            continue
        n, d = num[period], den[period]
        value = (n.value / d.value * indicator.factor) if d.value else None
        estimated = n.estimated or d.estimated
        points.append(Point(period, n.start, n.end, value, estimated=estimated,
                            methods=tuple(sorted(set(n.methods) | set(d.methods))),
                            estimated_value=value if (estimated and value is not None) else Decimal(0),
                            parts=n.parts + d.parts))
    return points


# ---------------------------------------------------------------------------------------------------------------
# A new province's series from its wards: one SQL statement, the weighting done in the database.
#
# Definition (what `as_merged_area_reference` computes the slow, obvious way, and the tests hold the SQL to): for
# each period, each new ward of the province has its as-merged figure (`as_merged`: its own figure where it
# reported one, else its ward-level predecessors' figures, a whole edge × 1, a partial edge × its
# ApportionmentWeight or equal shares among the predecessor's ward-level successors); the province's figure is
# their sum (sum, last value), their mean (average), or the province numerator over the province denominator ×
# factor (ratio). A point is estimated when any ward's part was apportioned, naming every method used; the old
# rows are only read.

_METHODS = tuple(WeightMethod.values)  # population, area, equal, staff: the columns that name the methods used

# The lineage weights as a relation: old unit -> (new ward of the province, weight, method).
_LINEAGE_SQL = """
WITH wards AS (
    SELECT id FROM org_adminunit WHERE province_id = %s AND vintage = %s AND level = %s
), edges AS (
    SELECT e.id AS edge_id, e.predecessor_id AS unit_id, e.successor_id AS ward_id, e.kind
    FROM org_adminunit n JOIN org_unitsuccession e ON e.successor_id = n.id
                         JOIN org_adminunit p ON p.id = e.predecessor_id
    WHERE n.province_id = %s AND n.vintage = %s AND n.level = %s AND p.level = %s
), fanout AS (
    SELECT e.predecessor_id AS unit_id, COUNT(*) AS n
    FROM org_unitsuccession e JOIN org_adminunit s ON s.id = e.successor_id
    WHERE s.level = %s AND e.predecessor_id IN (SELECT unit_id FROM edges WHERE kind <> 'whole')
    GROUP BY e.predecessor_id
), lineage_weights AS (
    SELECT edges.unit_id, edges.ward_id,
           CASE WHEN edges.kind = 'whole' THEN 1.0 ELSE COALESCE(aw.weight, 1.0 / fanout.n) END AS weight,
           CASE WHEN edges.kind = 'whole' THEN 'whole' ELSE COALESCE(aw.method, 'equal') END AS method
    FROM edges LEFT JOIN reports_apportionmentweight aw ON aw.edge_id = edges.edge_id
               LEFT JOIN fanout ON fanout.unit_id = edges.unit_id
)"""

_FIGURES = """v.indicator_id IN ({indicators}) AND v.is_current = %s AND v.disaggregation = %s
      AND v.period_start >= %s AND v.period_end <= %s {kind}"""

# The usual case, one pass over the figures: each old unit's figures × its share in the province (the sum of its
# edges' weights into the province's wards), beside the new wards' own figures, summed per period and side. Exact
# as long as no period has both a new ward's own figure and predecessors' figures (then a ward's own figure would
# have to replace its predecessors' parts: the per-ward statement below) and for every aggregation but average.
_FAST_SQL = """{lineage}, units AS (
    SELECT unit_id, 0 AS own, SUM(weight) AS share,
           SUM(CASE WHEN method <> 'whole' THEN weight ELSE 0 END) AS apportioned_share,
           MAX(CASE WHEN method <> 'whole' THEN 1 ELSE 0 END) AS estimated,
           {unit_methods}
    FROM lineage_weights GROUP BY unit_id
    UNION ALL
    SELECT id, 1, 1.0, 0, 0, {no_methods} FROM wards
)
SELECT u.own, v.indicator_id, MIN(v.period), v.period_start, v.period_end,
       SUM(v.value * u.share) AS total, SUM(v.value * u.apportioned_share) AS apportioned,
       MAX(u.estimated) AS estimated,
       {period_methods}
FROM units u JOIN reports_datavalue v ON v.unit_id = u.unit_id
WHERE {figures}
GROUP BY u.own, v.indicator_id, v.period_start, v.period_end
"""

# The definition itself, per ward: for each ward and period its own figure, else its predecessors' figures by
# their weights (an average: their weighted mean); then per period the wards' sum and mean. (A period is keyed by
# its dates, which its code names one to one: dates group faster than text.)
_PER_WARD_SQL = """{lineage}, ward_weights AS (
    SELECT unit_id, ward_id, weight, method FROM lineage_weights
    UNION ALL
    SELECT id, id, 1.0, 'own' FROM wards
), per_ward AS (
    SELECT v.indicator_id, w.ward_id, v.period_start, v.period_end, MIN(v.period) AS period,
           MAX(CASE WHEN w.method = 'own' THEN v.value END) AS own,
           SUM(CASE WHEN w.method <> 'own' THEN v.value * w.weight END) AS merged,
           SUM(CASE WHEN w.method <> 'own' THEN w.weight END) AS weight,
           SUM(CASE WHEN w.method NOT IN ('own', 'whole') THEN v.value * w.weight ELSE 0 END) AS apportioned,
           MAX(CASE WHEN w.method NOT IN ('own', 'whole') THEN 1 ELSE 0 END) AS estimated,
           {ward_methods}
    FROM ward_weights w JOIN reports_datavalue v ON v.unit_id = w.unit_id
    WHERE {figures}
    GROUP BY v.indicator_id, w.ward_id, v.period_start, v.period_end
)
SELECT indicator_id, MIN(period), period_start, period_end,
       SUM(CASE WHEN own IS NULL THEN merged ELSE own END) AS total,
       AVG(CASE WHEN own IS NULL THEN merged / (CASE WHEN weight = 0 THEN 1 ELSE weight END) ELSE own END) AS mean,
       SUM(CASE WHEN own IS NULL THEN apportioned ELSE 0 END) AS apportioned,
       MAX(CASE WHEN own IS NULL THEN 1 ELSE 0 END) AS computed,
       MAX(CASE WHEN own IS NULL THEN estimated ELSE 0 END) AS estimated,
       {area_methods}
FROM per_ward GROUP BY indicator_id, period_start, period_end
"""


def _sql(template: str, indicators: int, kind: bool) -> str:
    figures = _FIGURES.format(indicators=", ".join(["%s"] * indicators), kind="AND v.period_kind = %s" if kind else "")
    return template.format(
        lineage=_LINEAGE_SQL, figures=figures,
        unit_methods=",\n           ".join(f"MAX(CASE WHEN method = '{m}' THEN 1 ELSE 0 END) AS m_{m}"
                                          for m in _METHODS),
        no_methods=", ".join("0" for _ in _METHODS),
        period_methods=",\n       ".join(f"MAX(u.m_{m})" for m in _METHODS),
        ward_methods=",\n           ".join(f"MAX(CASE WHEN w.method = '{m}' THEN 1 ELSE 0 END) AS m_{m}"
                                          for m in _METHODS),
        area_methods=",\n       ".join(f"MAX(CASE WHEN own IS NULL THEN m_{m} ELSE 0 END)" for m in _METHODS))


def _decimal(value) -> Decimal | None:
    """A figure from the database as Decimal: PostgreSQL's numeric is one already; SQLite's REAL arithmetic
    gives floats (and integers), read through repr so 0.1 stays 0.1."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def area_figures(indicators: list[Indicator], area: AdminUnit, start_year: int, end_year: int,
                 kind: str | None = None, disaggregation: str = "", per_ward: bool = False
                 ) -> dict[int, dict[str, dict]]:
    """For each indicator and period, what the province's new wards add up to, computed in the database:
    {indicator id: {period: {start, end, total, mean, apportioned, computed, estimated, methods}}}; `mean` only
    from the per-ward statement, which runs when asked, or when a period holds both a new ward's own figure and
    predecessors' figures."""
    from django.db import connection

    from hopnhat.org.models import Level, Vintage

    params: list = [area.pk, Vintage.NEW.value, Level.WARD.value, area.pk, Vintage.NEW.value, Level.WARD.value,
                    Level.WARD.value, Level.WARD.value,
                    *[i.pk for i in indicators], True, disaggregation, datetime.date(start_year, 1, 1),
                    datetime.date(end_year, 12, 31)]
    if kind:
        params.append(kind)
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    with connection.cursor() as cur:
        if not per_ward:
            cur.execute(_sql(_FAST_SQL, len(indicators), bool(kind)), params)
            for own, ind, period, start, end, total, apportioned, estimated, *methods in cur.fetchall():
                if period in out[ind]:   # a period with both sides: only the per-ward statement is exact
                    return area_figures(indicators, area, start_year, end_year, kind, disaggregation, True)
                out[ind][period] = {
                    "start": _as_date(start), "end": _as_date(end), "total": _decimal(total), "mean": None,
                    "apportioned": _decimal(apportioned) or Decimal(0), "computed": not own,
                    "estimated": bool(estimated), "methods": _named(methods)}
            return out
        cur.execute(_sql(_PER_WARD_SQL, len(indicators), bool(kind)), params)
        for ind, period, start, end, total, mean, apportioned, computed, estimated, *methods in cur.fetchall():
            out[ind][period] = {
                "start": _as_date(start), "end": _as_date(end), "total": _decimal(total), "mean": _decimal(mean),
                "apportioned": _decimal(apportioned) or Decimal(0), "computed": bool(computed),
                "estimated": bool(estimated), "methods": _named(methods)}
    return out


def _named(flags) -> tuple[str, ...]:
    return tuple(m for m, used in zip(_METHODS, flags, strict=True) if used)


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _area_point(indicator: Indicator, period: str, row: dict, area: AdminUnit) -> Point:
    average = indicator.aggregation == Aggregation.AVERAGE
    value = row["mean"] if average else row["total"]
    estimated = row["estimated"]
    return Point(period, row["start"], row["end"], value, estimated=estimated, methods=row["methods"],
                 reported_by="" if row["computed"] else area.node_id,
                 estimated_value=(value if average else row["apportioned"]) if estimated else Decimal(0))


def _ratio_point(indicator: Indicator, num: Point, den: Point) -> Point:
    value = (num.value / den.value * indicator.factor) if den.value else None
    estimated = num.estimated or den.estimated
    return Point(num.period, num.start, num.end, value, estimated=estimated,
                 methods=tuple(sorted(set(num.methods) | set(den.methods))),
                 reported_by=num.reported_by if num.reported_by and den.reported_by else "",
                 estimated_value=value if (estimated and value is not None) else Decimal(0))


def _by_time(points) -> list[Point]:
    return sorted(points, key=lambda p: (p.start, p.end, p.period))


def as_merged_area(indicator: Indicator, area: AdminUnit, start_year: int, end_year: int,
                   kind: str | None = None, disaggregation: str = "") -> list[Point]:
    """A new province's as-merged series from its wards' figures (the definition above), every aggregation type,
    in one SQL statement: the lineage weights are a CTE joined to the figures, summed per ward and period and
    then per period in the database, so a province of ~10,000 figures returns its 36 rows, not 10,000."""
    if indicator.aggregation != Aggregation.RATIO:
        rows = area_figures([indicator], area, start_year, end_year, kind, disaggregation,
                            per_ward=indicator.aggregation == Aggregation.AVERAGE).get(indicator.pk, {})
        return _by_time(_area_point(indicator, p, row, area) for p, row in rows.items())
    num, den = indicator.numerator, indicator.denominator
    rows = area_figures([num, den], area, start_year, end_year, kind, disaggregation,
                        per_ward=Aggregation.AVERAGE in (num.aggregation, den.aggregation))
    nums = {p: _area_point(num, p, row, area) for p, row in rows.get(num.pk, {}).items()}
    dens = {p: _area_point(den, p, row, area) for p, row in rows.get(den.pk, {}).items()}
    return _by_time(_ratio_point(indicator, nums[p], dens[p]) for p in set(nums) & set(dens))


def as_merged_area_reference(indicator: Indicator, area: AdminUnit, start_year: int, end_year: int,
                             kind: str | None = None, disaggregation: str = "") -> list[Point]:
    """The same series computed the slow, obvious way, for the tests (and the benchmark's check) to hold the SQL
    to: `_merge` (as_merged's own code, through org.lineage) for each new ward, combined in Python."""
    from hopnhat.org.models import Level, Vintage

    wards = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD, province=area).order_by("pk"))

    def combine(ind: Indicator) -> dict[str, Point]:
        by_period: dict[str, list[Point]] = defaultdict(list)
        for ward in wards:
            for point in _merge(ind, ward, start_year, end_year, kind, disaggregation):
                by_period[point.period].append(point)
        out = {}
        for period, points in by_period.items():
            estimated = any(p.estimated for p in points)
            if ind.aggregation == Aggregation.AVERAGE:
                value = sum((p.value for p in points), Decimal(0)) / len(points)
                est_value = value if estimated else Decimal(0)
            else:
                value = sum((p.value for p in points), Decimal(0))
                est_value = sum((p.estimated_value for p in points if not p.reported_by), Decimal(0))
            out[period] = Point(period, points[0].start, points[0].end, value, estimated=estimated,
                                methods=tuple(m for m in _METHODS if any(m in p.methods for p in points)),
                                reported_by=area.node_id if all(p.reported_by for p in points) else "",
                                estimated_value=est_value)
        return out

    if indicator.aggregation != Aggregation.RATIO:
        return _by_time(combine(indicator).values())
    nums, dens = combine(indicator.numerator), combine(indicator.denominator)
    return _by_time(_ratio_point(indicator, nums[p], dens[p]) for p in set(nums) & set(dens))
