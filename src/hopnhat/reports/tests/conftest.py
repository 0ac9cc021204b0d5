"""A slice of the merged Tuyên Quang province for the reporting tests: old provinces Hà Giang (02) and Tuyên
Quang (08) merged whole into the new Tuyên Quang (08); old xã Yên Sơn split between new xã Yên Sơn and xã Thái
Bình, and old xã Lang Quán merged whole into new xã Yên Sơn. The reporting catalogue: one regime, four
indicators (a total and its two parts, a ratio), a form with a range, a sum and a deviation rule."""

from types import SimpleNamespace

import pytest

from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Level, SuccessionKind, Vintage
from hopnhat.org.testing import edge, unit
from hopnhat.reports.models import Aggregation, Form, FormRow, Indicator, PeriodType, Regime

ACTOR = "system:test-reports"
OLD, NEW = Vintage.OLD, Vintage.NEW


def build_units():
    hg = unit(OLD, Level.PROVINCE, "02", "Tỉnh Hà Giang")
    tq_old = unit(OLD, Level.PROVINCE, "08", "Tỉnh Tuyên Quang")
    tq = unit(NEW, Level.PROVINCE, "08", "Tỉnh Tuyên Quang")
    edge(hg, tq, SuccessionKind.WHOLE, True)
    edge(tq_old, tq, SuccessionKind.WHOLE, True)
    ys_district = unit(OLD, Level.DISTRICT, "999", "Huyện Yên Sơn", parent=tq_old)
    ys_old = unit(OLD, Level.WARD, "99901", "Xã Yên Sơn (cũ)", parent=ys_district)
    lq_old = unit(OLD, Level.WARD, "99902", "Xã Lang Quán", parent=ys_district)
    ys = unit(NEW, Level.WARD, "99911", "Xã Yên Sơn", parent=tq)
    tb = unit(NEW, Level.WARD, "99912", "Xã Thái Bình", parent=tq)
    edge(ys_old, ys, SuccessionKind.PARTIAL, True)
    edge(ys_old, tb, SuccessionKind.PARTIAL, False)
    edge(lq_old, ys, SuccessionKind.WHOLE, True)
    return SimpleNamespace(hg=hg, tq_old=tq_old, tq=tq, ys_old=ys_old, lq_old=lq_old, ys=ys, tb=tb)


def build_catalogue():
    PeriodType.objects.update_or_create(kind="Q", defaults={"name": "Quý", "cutoff_day": 15})
    PeriodType.objects.update_or_create(kind="Y", defaults={"name": "Năm", "cutoff_day": 0})
    regime = Regime.objects.create(code="BC-DS-01", name="Báo cáo dân số và hộ tịch", frequency="Q",
                                   receiving_body="UBND tỉnh", method="Hệ thống thông tin báo cáo",
                                   deadline_days=5, cutoff_note="Từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối kỳ")
    births = Indicator.objects.create(code="DS01", name="Số trẻ sinh ra", unit_of_measure="người",
                                      disaggregations=["giới tính"], aggregation=Aggregation.SUM,
                                      national_code="0101")
    population = Indicator.objects.create(code="DS02", name="Dân số trung bình", unit_of_measure="người",
                                          aggregation=Aggregation.SUM)
    rate = Indicator.objects.create(code="DS03", name="Tỷ suất sinh thô", unit_of_measure="‰",
                                    aggregation=Aggregation.RATIO, numerator=births, denominator=population,
                                    factor=1000)
    form = Form.objects.create(code="B01-DS", name="Biểu dân số", regime=regime, rules=[
        {"code": "R1", "kind": "range", "indicator": "DS02", "min": 0, "max": 10000000},
        {"code": "R2", "kind": "expression", "left": "DS01", "right": ["DS01|nam", "DS01|nữ"]},
        {"code": "R3", "kind": "deviation", "indicator": "DS02", "max_percent": 20},
    ])
    for order, (ind, dis) in enumerate([(births, ""), (births, "nam"), (births, "nữ"), (population, "")], 1):
        FormRow.objects.create(form=form, order=order, indicator=ind, disaggregation=dis)
    return SimpleNamespace(regime=regime, births=births, population=population, rate=rate, form=form)


def build_agencies(units):
    tq = ensure_agency(code="000.00.00.H60", name="UBND tỉnh Tuyên Quang", unit=units.tq, actor=ACTOR)[0]
    ys = ensure_agency(code="000.00.49.H60", name="UBND xã Yên Sơn", parent=tq, unit=units.ys, actor=ACTOR)[0]
    hg = ensure_agency(code="000.00.00.H22", name="UBND tỉnh Hà Giang", unit=units.hg, actor=ACTOR)[0]
    return SimpleNamespace(tq=tq, ys=ys, hg=hg)


@pytest.fixture
def tq(db):
    units = build_units()
    return SimpleNamespace(units=units, cat=build_catalogue(), agencies=build_agencies(units))
