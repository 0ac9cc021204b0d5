"""Dossier figures come from the dossiers' own dashboard query, stored against each agency's unit."""

from decimal import Decimal

from hopnhat.dossiers.models import Status
from hopnhat.dossiers.tests.conftest import at, hanoi, procedures  # noqa: F401 — fixtures
from hopnhat.dossiers.tests.test_dashboard import _dossier
from hopnhat.reports import computed
from hopnhat.reports.models import DataValue, Indicator


def test_dossier_indicators_by_agency_and_period(hanoi, procedures):  # noqa: F811
    p = procedures
    agency = hanoi.ba_dinh
    assert agency.unit_id
    _dossier(agency, p.certify, at(2025, 9, 4, 9), Status.DONE, at(2025, 9, 5, 10))      # on time
    _dossier(agency, p.certify, at(2025, 9, 4, 9), Status.DONE, at(2025, 9, 12, 10))     # late
    _dossier(agency, p.certify, at(2025, 9, 10, 9), Status.PROCESSING, None)  # open, overdue by mid-October
    _dossier(agency, p.certify, at(2025, 12, 10, 9), Status.DONE, at(2025, 12, 11, 9))   # another quarter
    for code, source in (("HS01", "dossiers.received"), ("HS02", "dossiers.finished_on_time"),
                         ("HS03", "dossiers.overdue")):
        Indicator.objects.create(code=code, name=source, computed_from=source)
    out = computed.compute("2025Q3", today=at(2025, 10, 15).date())
    assert out["indicators"] == ["HS01", "HS02", "HS03"]

    def value(code, dis=""):
        return DataValue.objects.get(indicator__code=code, unit=agency.unit, period="2025Q3",
                                     disaggregation=dis, is_current=True).value

    assert (value("HS01"), value("HS02"), value("HS03")) == (Decimal(3), Decimal(1), Decimal(2))
    assert value("HS01", f"agency:{agency.code}") == Decimal(3)
    assert DataValue.objects.get(indicator__code="HS01", disaggregation="").source == "computed"
    # Run again: nothing changed, nothing stored twice.
    assert computed.compute("2025Q3", today=at(2025, 10, 15).date())["stored"] == 0
