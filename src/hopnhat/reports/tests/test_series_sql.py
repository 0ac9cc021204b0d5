"""A new province's as-merged series is computed in SQL (`series.as_merged_area`); it must give the same series
as the slow, obvious computation (`series.as_merged_area_reference`: as_merged's own code for each new ward, added
up in Python) on messy lineage — splits, merges, an old ward that is split and whose piece is merged with another,
a split across two provinces, weights entered or not, district edges that must not count — and messy figures
(corrections no longer current, disaggregated rows, quarters beside months, a zero denominator, new wards' own
figures in the same periods as their predecessors'), for every aggregation type, on SQLite and PostgreSQL.
Computing never writes."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from hopnhat.core import fuzzing  # noqa: F401 — the project's hypothesis profile (bounded examples, no example db)
from hopnhat.org.models import Level, SuccessionKind, UnitSuccession, Vintage
from hopnhat.org.testing import edge, unit
from hopnhat.reports import series
from hopnhat.reports.models import Aggregation, ApportionmentWeight, DataValue, Indicator, WeightMethod
from hopnhat.reports.periods import parse

pytestmark = pytest.mark.django_db
OLD, NEW = Vintage.OLD, Vintage.NEW
PERIODS = ["2024M01", "2024M02", "2024Q1", "2025M07", "2025M08"]


def _close(a: Decimal | None, b: Decimal | None) -> bool:
    """Equal up to the last digits of the arithmetic: PostgreSQL's numeric division keeps 20 digits, Python's
    Decimal 28, SQLite computes in binary floating point."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= Decimal("1e-9") * max(Decimal(1), abs(b))


def assert_same_series(got: list[series.Point], want: list[series.Point], what: str) -> None:
    assert [p.period for p in got] == [p.period for p in want], what
    for g, w in zip(got, want, strict=True):
        where = f"{what} {w.period}"
        assert (g.start, g.end) == (w.start, w.end), where
        assert _close(g.value, w.value), f"{where}: SQL {g.value} ≠ reference {w.value}"
        assert (g.estimated, g.methods, g.reported_by) == (w.estimated, w.methods, w.reported_by), where
        assert _close(g.estimated_value, w.estimated_value), f"{where}: apportioned {g.estimated_value} ≠ " \
                                                             f"{w.estimated_value}"


def _indicators():
    births = Indicator.objects.create(code="T-SUM", name="Số trẻ sinh ra", aggregation=Aggregation.SUM)
    pop = Indicator.objects.create(code="T-POP", name="Dân số", aggregation=Aggregation.SUM)
    price = Indicator.objects.create(code="T-AVG", name="Giá bình quân", aggregation=Aggregation.AVERAGE)
    beds = Indicator.objects.create(code="T-LAST", name="Số giường bệnh cuối kỳ", aggregation=Aggregation.LAST)
    rate = Indicator.objects.create(code="T-RATIO", name="Tỷ suất sinh thô", aggregation=Aggregation.RATIO,
                                    numerator=births, denominator=pop, factor=1000)
    return [births, pop, price, beds], rate


def _value(indicator, u, period, value, disaggregation="", current=True):
    p = parse(period)
    return DataValue(indicator=indicator, unit=u, period=p.code, period_kind=p.kind, period_start=p.start,
                     period_end=p.end, disaggregation=disaggregation, value=value, source="test",
                     is_current=current)


def _compare_everything(provinces, indicators, rate):
    before = list(DataValue.objects.order_by("pk").values_list("pk", "unit_id", "period", "value", "is_current"))
    for province in provinces:
        for ind in [*indicators, rate]:
            for kind in (None, "M"):
                for dis in ("", "nam"):
                    assert_same_series(series.as_merged_area(ind, province, 2024, 2025, kind, dis),
                                       series.as_merged_area_reference(ind, province, 2024, 2025, kind, dis),
                                       f"{province.code} {ind.code} kind={kind} disaggregation={dis!r}")
    after = list(DataValue.objects.order_by("pk").values_list("pk", "unit_id", "period", "value", "is_current"))
    assert after == before  # computing never writes


def test_hand_computed_split_merge_and_every_aggregation():
    """Old Yên Sơn splits 70/30 (population) between new Yên Sơn (province 97) and Thái Bình (province 98); old
    Lang Quán merges whole into new Yên Sơn; old Kim Phú splits with no weight entered between new Yên Sơn and
    new Mỹ Lâm (both in 97): equal shares."""
    p97, p98 = unit(NEW, Level.PROVINCE, "97", "Tỉnh Chín Bảy"), unit(NEW, Level.PROVINCE, "98", "Tỉnh Chín Tám")
    district = unit(OLD, Level.DISTRICT, "979", "Huyện Yên Sơn")
    ys_old = unit(OLD, Level.WARD, "97901", "Xã Yên Sơn (cũ)", parent=district)
    lq = unit(OLD, Level.WARD, "97902", "Xã Lang Quán", parent=district)
    kp = unit(OLD, Level.WARD, "97903", "Xã Kim Phú", parent=district)
    ys = unit(NEW, Level.WARD, "97911", "Xã Yên Sơn", parent=p97)
    ml = unit(NEW, Level.WARD, "97912", "Xã Mỹ Lâm", parent=p97)
    tb = unit(NEW, Level.WARD, "98911", "Xã Thái Bình", parent=p98)
    for old, new, kind in ((ys_old, ys, "partial"), (ys_old, tb, "partial"), (lq, ys, "whole"),
                           (kp, ys, "partial"), (kp, ml, "partial"), (district, ys, "partial")):
        edge(old, new, kind)
    for new, w in ((ys, "0.7"), (tb, "0.3")):
        ApportionmentWeight.objects.create(edge=UnitSuccession.objects.get(predecessor=ys_old, successor=new),
                                           weight=Decimal(w), method=WeightMethod.POPULATION)
    (births, pop, price, beds), rate = _indicators()
    DataValue.objects.bulk_create([
        _value(births, ys_old, "2024", 300), _value(births, lq, "2024", 50), _value(births, kp, "2024", 80),
        _value(births, district, "2024", 9999),                       # a district figure: not a ward's, never added
        _value(births, kp, "2024", 70, current=False),               # corrected: the old row stays, not counted
        _value(births, ys, "2025", 220), _value(births, ml, "2025", 90), _value(births, tb, "2025", 130),
        _value(pop, ys_old, "2024", 10000), _value(pop, lq, "2024", 2000), _value(pop, kp, "2024", 4000),
        _value(price, ys_old, "2024", 10), _value(price, lq, "2024", 20), _value(price, kp, "2024", 40),
        _value(beds, ys_old, "2024", 12), _value(beds, lq, "2024", 4), _value(beds, kp, "2024", 6),
    ])
    point = {ind.code: series.as_merged_area(ind, p97, 2024, 2025)[0] for ind in (births, pop, price, beds, rate)}
    # Yên Sơn: 300 × 0.7 + 50 + 80 / 2 = 300; Mỹ Lâm: 80 / 2 = 40.
    assert point["T-SUM"].value == Decimal(340) and point["T-SUM"].estimated
    assert point["T-SUM"].methods == ("population", "equal") and point["T-SUM"].reported_by == ""
    assert point["T-SUM"].estimated_value == Decimal(290)             # 210 + 40 + 40; Lang Quán's 50 is whole
    assert point["T-POP"].value == Decimal(13000)                     # 7000 + 2000 + 2000 | 2000
    assert point["T-LAST"].value == Decimal("18.4")                   # 8.4 + 4 + 3 | 3
    # Averages: Yên Sơn (10 × 0.7 + 20 × 1 + 40 × 0.5) / 2.2 = 21.36…, Mỹ Lâm 40; the province their mean.
    assert point["T-AVG"].value.quantize(Decimal("0.0001")) == Decimal("30.6818")
    assert point["T-AVG"].estimated_value == point["T-AVG"].value
    # A ratio is the merged numerator over the merged denominator (340 / 13000 × 1000), never a mean of rates.
    assert point["T-RATIO"].value.quantize(Decimal("0.0001")) == Decimal("26.1538")
    after = series.as_merged_area(births, p97, 2024, 2025)[1]
    assert (after.period, after.value, after.estimated, after.reported_by) == ("2025", 310, False, p97.node_id)
    thai_binh = series.as_merged_area(births, p98, 2024, 2025)[0]
    assert thai_binh.value == Decimal(90) and thai_binh.methods == ("population",)
    _compare_everything([p97, p98], [births, pop, price, beds], rate)


def test_a_new_wards_own_figure_replaces_its_predecessors_parts_in_that_period(tq):
    """New Yên Sơn also reported a 2024 figure of its own (back-filled): for 2024 it counts instead of old Yên
    Sơn's share and Lang Quán's, while Thái Bình, with none of its own, still gets its equal share of old Yên Sơn."""
    u, births = tq.units, tq.cat.births
    DataValue.objects.bulk_create([_value(births, u.ys_old, "2024", 300), _value(births, u.lq_old, "2024", 50),
                                   _value(births, u.ys, "2024", 500), _value(births, u.ys, "2025", 220),
                                   _value(births, u.tb, "2025", 130)])
    points = series.as_merged_area(births, u.tq, 2024, 2025)
    assert [(p.period, p.value, p.estimated, p.methods, p.estimated_value, p.reported_by) for p in points] == [
        ("2024", Decimal(650), True, ("equal",), Decimal(150), ""),
        ("2025", Decimal(350), False, (), Decimal(0), u.tq.node_id)]
    assert_same_series(points, series.as_merged_area_reference(births, u.tq, 2024, 2025), "own over parts")


@st.composite
def worlds(draw):
    """A province (97) of 2–4 new wards beside a neighbour (98) of 1–2; 2–6 old wards, each whole or split among
    1–3 new wards (either province), its partial edges weighted by staff or not; figures for any unit, period and
    indicator, some disaggregated, some no longer current."""
    n_new, n_other, n_old = draw(st.integers(2, 4)), draw(st.integers(1, 2)), draw(st.integers(2, 6))
    fates = []
    for _ in range(n_old):
        targets = draw(st.lists(st.integers(0, n_new + n_other - 1), min_size=1, max_size=3, unique=True))
        edges = []
        for t in targets:
            whole = len(targets) == 1 and draw(st.booleans())
            weight = None if whole else draw(st.one_of(st.none(), st.tuples(
                st.integers(0, 1_000_000).map(lambda n: Decimal(n) / 1_000_000),
                st.sampled_from(list(WeightMethod.values)))))
            edges.append((t, whole, weight))
        fates.append(edges)
    n_units = n_old + n_new + n_other
    figure = st.tuples(st.integers(0, n_units - 1), st.sampled_from(PERIODS), st.integers(0, 3),
                       st.one_of(st.integers(0, 10**9).map(lambda n: Decimal(n) / 10_000), st.just(Decimal(0))),
                       st.sampled_from(["", "", "", "nam"]), st.sampled_from([True, True, True, False]))
    return n_new, n_other, fates, draw(st.lists(figure, min_size=10, max_size=60))


@settings(max_examples=12)
@given(world=worlds())
def test_sql_series_equals_the_reference_on_generated_lineage(db, world):
    n_new, n_other, fates, figures = world
    with transaction.atomic():
        p97, p98 = unit(NEW, Level.PROVINCE, "97", "Tỉnh Chín Bảy"), unit(NEW, Level.PROVINCE, "98", "Tỉnh Chín Tám")
        news = [unit(NEW, Level.WARD, f"97{i:03d}", f"Xã Mới {i}", parent=p97) for i in range(n_new)]
        news += [unit(NEW, Level.WARD, f"98{i:03d}", f"Xã Bên {i}", parent=p98) for i in range(n_other)]
        olds = [unit(OLD, Level.WARD, f"96{i:03d}", f"Xã Cũ {i}") for i in range(len(fates))]
        for old, edges in zip(olds, fates, strict=True):
            for target, whole, weight in edges:
                e = edge(old, news[target], SuccessionKind.WHOLE if whole else SuccessionKind.PARTIAL)
                if weight:
                    ApportionmentWeight.objects.create(edge=e, weight=weight[0], method=weight[1])
        indicators, rate = _indicators()
        units = olds + news
        rows = [_value(indicators[i], units[u], period, v, dis, current) for u, period, i, v, dis, current in figures]
        latest = {}
        for row in rows:   # one figure current per key, as collection keeps it: a later one supersedes
            if row.is_current:
                if (key := (row.indicator_id, row.unit_id, row.period, row.disaggregation)) in latest:
                    latest[key].is_current = False
                latest[key] = row
        DataValue.objects.bulk_create(rows)
        _compare_everything([p97, p98], indicators, rate)
        transaction.set_rollback(True)


def test_approving_a_report_supersedes_an_imported_figure_for_the_same_key(tq):
    """An old system's import and a later approved web report for the same unit, indicator and period: the
    approved figure is the current one, the imported row stays beside it, and the series counts it once."""
    from hopnhat.reports import collection

    from .conftest import ACTOR

    u, c = tq.units, tq.cat
    collection.record_values([(c.population, u.ys, None, "2024Q4", "", Decimal(11000))], "import", ACTOR)
    report = collection.open_report(c.form, tq.agencies.ys, "2024Q4", ACTOR)
    assert collection.fill(report, {"DS02": Decimal(12000)}, ACTOR).ok
    collection.move(report, "submit", ACTOR)
    collection.move(report, "approve", ACTOR)
    rows = DataValue.objects.filter(indicator=c.population, unit=u.ys, period="2024Q4")
    assert sorted((r.value, r.is_current) for r in rows) == [(Decimal(11000), False), (Decimal(12000), True)]
    point = series.as_merged_area(c.population, u.tq, 2024, 2024)[0]
    assert point.value == Decimal(12000) and point.reported_by == u.tq.node_id
