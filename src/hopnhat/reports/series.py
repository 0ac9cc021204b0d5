"""A unit's series, as reported and as merged.

    as_reported(indicator, unit, start_year, end_year, kind=None) -> list[Point]
        The unit's own figures, as it reported them (current versions only).
    as_merged(indicator, unit, start_year, end_year, kind=None) -> list[Point]
        For each period: the unit's own figure where it reported one; otherwise the sum over its predecessors
        (org.lineage), each weighted: a whole predecessor by 1, a split (partial) predecessor by the
        ApportionmentWeight on its lineage edge, or equal shares among the predecessor's successors at the unit's
        level when no weight was entered. A point with any apportioned part is `estimated`, with the methods named.
        Averages are weighted means; ratios are the merged numerator over the merged denominator × factor.

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
    for unit_id, period, value, start, end in rows.values_list("unit_id", "period", "value", "period_start",
                                                               "period_end"):
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


def as_merged_area(indicator: Indicator, area: AdminUnit, start_year: int, end_year: int,
                   kind: str | None = None) -> list[Point]:
    """A new province's series from its wards' figures: after the reform, the sum over its new wards; before,
    the sum over the old wards that went into them, each weighted by its share (whole 1; a split ward by its
    edges' ApportionmentWeight or equal shares), the apportioned part marked. Sum-like indicators only. Two
    queries for the figures however many wards, so one province over 36 months stays fast."""
    from hopnhat.org.models import REFORM_DATE, Level, UnitSuccession, Vintage

    new_wards = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD, province=area)
                     .values_list("pk", flat=True))
    edges = list(UnitSuccession.objects.filter(successor_id__in=new_wards, predecessor__level=Level.WARD)
                 .values_list("pk", "predecessor_id", "kind"))
    stored = dict(ApportionmentWeight.objects.filter(edge_id__in=[e[0] for e in edges])
                  .values_list("edge_id", "weight"))
    partial_preds = {p for _, p, k in edges if k != SuccessionKind.WHOLE}
    fanout: dict[int, int] = defaultdict(int)
    for pred in UnitSuccession.objects.filter(predecessor_id__in=partial_preds, successor__level=Level.WARD) \
            .values_list("predecessor_id", flat=True):
        fanout[pred] += 1
    share: dict[int, Decimal] = defaultdict(Decimal)
    estimated_pred: set[int] = set()
    for pk, pred, k in edges:
        if k == SuccessionKind.WHOLE:
            share[pred] += Decimal(1)
        else:
            share[pred] += stored.get(pk, Decimal(1) / Decimal(fanout[pred] or 1))
            estimated_pred.add(pred)
    base = DataValue.objects.filter(indicator=indicator, is_current=True, disaggregation="",
                                    period_start__gte=datetime.date(start_year, 1, 1),
                                    period_end__lte=datetime.date(end_year, 12, 31))
    if kind:
        base = base.filter(period_kind=kind)
    totals: dict[str, list] = {}
    from django.db.models import Sum
    for period, s, e, total in (base.filter(unit_id__in=new_wards, period_end__gte=REFORM_DATE)
                                .values_list("period", "period_start", "period_end").annotate(Sum("value"))):
        totals[period] = [s, e, total, Decimal(0), False]
    for unit_id, period, s, e, value in (base.filter(unit_id__in=list(share), period_end__lt=REFORM_DATE)
                                         .values_list("unit_id", "period", "period_start", "period_end", "value")):
        row = totals.setdefault(period, [s, e, Decimal(0), Decimal(0), False])
        part = value * share[unit_id]
        row[2] += part
        if unit_id in estimated_pred:
            row[3] += part
            row[4] = True
    return [Point(p, s, e, v, estimated=est, methods=("lineage-weights",) if est else (), estimated_value=ev,
                  reported_by=area.node_id if e >= REFORM_DATE else "")
            for p, (s, e, v, ev, est) in sorted(totals.items(), key=lambda kv: (kv[1][0], kv[1][1]))]
