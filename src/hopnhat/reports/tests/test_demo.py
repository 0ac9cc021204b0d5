import io
from decimal import Decimal

from django.test import override_settings

from hopnhat.org import demo as core_demo
from hopnhat.reports import demo, series
from hopnhat.reports.models import DataValue, Indicator, Report, Status

from .conftest import build_units


def test_demo_loads_once(db, tmp_path):
    units = build_units()
    with override_settings(VAR_DIR=tmp_path, MEDIA_ROOT=tmp_path / "media"):
        core_demo.load_demo(io.StringIO())
        first = demo.load_demo(io.StringIO())
        count = DataValue.objects.count()
        second = demo.load_demo(io.StringIO())
    assert DataValue.objects.count() == count
    assert all(r["balanced"] for r in first["runs"].values()), first["runs"]
    births = Indicator.objects.get(code="DS01")
    merged = {p.period: p for p in series.as_merged(births, units.tq, 2024, 2026)}
    assert merged["2024Q1"].value == Decimal(3210 + 2875) and not merged["2024Q1"].estimated
    assert merged["2025Q4"].value == Decimal(6415)
    ward = {p.period: p for p in series.as_merged(births, units.ys, 2024, 2026)}
    assert ward["2024Q1"].estimated and ward["2024Q1"].methods == ("population",)
    assert first["ward"]["unit"] == units.ys.node_id
    shared = series.as_merged(births, units.tb, 2024, 2024)[0].value + ward["2024Q1"].value
    own_lq = DataValue.objects.get(unit=units.lq_old, period="2024Q1").value
    assert shared == DataValue.objects.get(unit=units.ys_old, period="2024Q1").value + own_lq
    assert Report.objects.get(form__code="B01-DS", period="2025Q4").status == Status.APPROVED
    assert first["upload"] == second["upload"]
    assert all((tmp_path / "demo" / "reports" / n).stat().st_size for n in ("structure.xml", "data.xml",
                                                                            "data.csv"))
    # The province from its communes: 2024 from the old communes (the old provinces' figures spread over them,
    # the split commune's share marked), 2025 Q4 from the new communes; each adds up to the province's figure.
    area = {p.period: p for p in series.as_merged_area(births, units.tq, 2024, 2026)}
    assert area["2024Q1"].value == Decimal(2875) and area["2024Q1"].estimated   # old Tuyên Quang's communes
    assert 0 < area["2024Q1"].estimated_value < area["2024Q1"].value
    assert area["2025Q4"].value == Decimal(6415) and not area["2025Q4"].estimated
    assert {"VB01", "VB02", "VB03"} <= set(Indicator.objects.filter(computed_from__startswith="documents.")
                                           .values_list("code", flat=True))
