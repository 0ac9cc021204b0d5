"""The old units' figures stay theirs; a new unit's history is computed through the lineage."""

from decimal import Decimal

from django.core.management import call_command

from hopnhat.org.models import UnitSuccession
from hopnhat.reports import series
from hopnhat.reports.collection import record_values
from hopnhat.reports.models import ApportionmentWeight, DataValue, WeightMethod

from .conftest import ACTOR


def _store(tq, rows):
    births = tq.cat.births
    record_values([(births, unit, None, period, "", Decimal(v)) for unit, period, v in rows], "import", ACTOR)


def test_whole_predecessors_add_up_and_old_rows_stay(tq):
    u = tq.units
    _store(tq, [(u.hg, "2024", 1000), (u.tq_old, "2024", 1500), (u.tq, "2025", 2600), (u.hg, "2023", 900)])
    before = list(DataValue.objects.order_by("pk").values_list("unit_id", "period", "value"))
    merged = {p.period: p for p in series.as_merged(tq.cat.births, u.tq, 2023, 2026)}
    assert merged["2024"].value == Decimal(2500) and not merged["2024"].estimated
    assert {p.unit.code for p in merged["2024"].parts} == {"02", "08"}
    assert merged["2023"].value == Decimal(900)  # only Hà Giang reported 2023: what there is, no guess
    assert merged["2025"].value == Decimal(2600) and merged["2025"].reported_by == u.tq.node_id
    assert [p.period for p in series.as_reported(tq.cat.births, u.tq, 2023, 2026)] == ["2025"]
    assert [p.value for p in series.as_reported(tq.cat.births, u.hg, 2023, 2026)] == [Decimal(900), Decimal(1000)]
    # Computing never writes.
    assert list(DataValue.objects.order_by("pk").values_list("unit_id", "period", "value")) == before


def test_split_predecessor_shared_by_weights_and_marked_estimated(tq):
    u = tq.units
    _store(tq, [(u.ys_old, "2024Q4", 300), (u.lq_old, "2024Q4", 50)])
    # No weight entered: equal shares between new Yên Sơn and Thái Bình.
    ys = series.as_merged(tq.cat.births, u.ys, 2024, 2024)[0]
    assert ys.value == Decimal(200) and ys.estimated and ys.methods == ("equal",)
    assert ys.estimated_value == Decimal(150)
    # Staff enter a population share: 70% to Yên Sơn, 30% to Thái Bình.
    for succ, w in ((u.ys, "0.7"), (u.tb, "0.3")):
        ApportionmentWeight.objects.create(edge=UnitSuccession.objects.get(predecessor=u.ys_old, successor=succ),
                                           weight=Decimal(w), method=WeightMethod.POPULATION)
    ys = series.as_merged(tq.cat.births, u.ys, 2024, 2024)[0]
    tb = series.as_merged(tq.cat.births, u.tb, 2024, 2024)[0]
    assert ys.value == Decimal(260) and ys.methods == ("population",)
    assert tb.value == Decimal(90) and tb.estimated_value == Decimal(90)
    # The parts add back up to what the old units reported.
    assert ys.value + tb.value == Decimal(350)


def test_ratio_is_merged_numerator_over_merged_denominator(tq):
    u, c = tq.units, tq.cat
    record_values([(c.births, u.hg, None, "2024", "", Decimal(100)), (c.births, u.tq_old, None, "2024", "",
                                                                       Decimal(300)),
                   (c.population, u.hg, None, "2024", "", Decimal(10000)),
                   (c.population, u.tq_old, None, "2024", "", Decimal(30000))], "import", ACTOR)
    point = series.as_merged(c.rate, u.tq, 2024, 2024)[0]
    assert point.value == Decimal(10)  # 400 / 40000 × 1000, not the mean of two rates
    assert not point.estimated


def test_cli_series_both_ways(tq, capsys):
    import json
    u = tq.units
    _store(tq, [(u.hg, "2024", 1000), (u.tq_old, "2024", 1500), (u.tq, "2025", 2600)])
    call_command("reports", "series", "DS01", u.tq.node_id, "--from", "2024", "--to", "2025", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "as_merged"
    assert [(p["period"], p["value"]) for p in data["points"]] == [("2024", 2500.0), ("2025", 2600.0)]
    call_command("reports", "series", "DS01", u.hg.node_id, "--as-reported", "--json")
    data = json.loads(capsys.readouterr().out)
    assert [(p["period"], p["value"]) for p in data["points"]] == [("2024", 1000.0)]


def test_area_series_from_wards(tq):
    u = tq.units
    record_values([(tq.cat.births, u.ys_old, None, "2024", "", Decimal(300)),
                   (tq.cat.births, u.lq_old, None, "2024", "", Decimal(50)),
                   (tq.cat.births, u.ys, None, "2025", "", Decimal(220)),
                   (tq.cat.births, u.tb, None, "2025", "", Decimal(130))], "import", ACTOR)
    points = {p.period: p for p in series.as_merged_area(tq.cat.births, u.tq, 2024, 2025)}
    # Both successors of the split ward lie in the province: its whole figure comes back (0.5 + 0.5).
    assert points["2024"].value == Decimal(350) and points["2024"].estimated
    assert points["2024"].estimated_value == Decimal(300)
    assert points["2025"].value == Decimal(350) and not points["2025"].estimated
