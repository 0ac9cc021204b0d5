"""The few real units and edges the search tests need: Huyện Gia Lâm (Hà Nội) and where its communes went on
1 July 2025, and Phường Trúc Bạch → Phường Ba Đình (the new ward re-uses code 00004)."""

import datetime

import pytest

from hopnhat.org.models import LAST_OLD_DAY, REFORM_DATE, AdminUnit, Level, SuccessionKind, UnitSuccession, Vintage


def _unit(vintage, level, code, name, short, unit_type, parent=None, province=None):
    """The unit as the national data has it (get_or_create: the national graph may already be loaded)."""
    dates = {"valid_to": LAST_OLD_DAY} if vintage == Vintage.OLD else {"valid_from": REFORM_DATE}
    unit, created = AdminUnit.objects.get_or_create(
        vintage=vintage, level=level, code=code,
        defaults=dict(name=name, short_name=short, unit_type=unit_type, parent=parent, province=province, **dates))
    if created and province is None:
        unit.province = unit
        unit.save()
    return unit


def _edge(old, new, kind=SuccessionKind.WHOLE, default=True):
    UnitSuccession.objects.get_or_create(predecessor=old, successor=new, defaults=dict(
        kind=kind, is_default=default, effective_date=datetime.date(2025, 7, 1)))


@pytest.fixture
def national_graph(national_units, db):
    """The national unit graph, loaded again if a browser test (transactional) emptied the tables after the
    session fixture ran."""
    if AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE).count() < 34:
        from hopnhat.org.units_load import load_national_units

        load_national_units()
    return national_units


@pytest.fixture
def hanoi(db):
    """Units by a short name: old_hn, gia_lam (old district), old_bat_trang, da_ton, trau_quy, truc_bach,
    ba_dinh_district; new_hn, bat_trang (new), gia_lam_xa (new), ba_dinh (new ward)."""
    old, new = Vintage.OLD, Vintage.NEW
    u = {}
    u["old_hn"] = _unit(old, Level.PROVINCE, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    u["gia_lam"] = _unit(old, Level.DISTRICT, "018", "Huyện Gia Lâm", "Gia Lâm", "Huyện", u["old_hn"], u["old_hn"])
    u["ba_dinh_district"] = _unit(old, Level.DISTRICT, "001", "Quận Ba Đình", "Ba Đình", "Quận", u["old_hn"],
                                  u["old_hn"])
    u["old_bat_trang"] = _unit(old, Level.WARD, "00583", "Xã Bát Tràng", "Bát Tràng", "Xã", u["gia_lam"], u["old_hn"])
    u["da_ton"] = _unit(old, Level.WARD, "00577", "Xã Đa Tốn", "Đa Tốn", "Xã", u["gia_lam"], u["old_hn"])
    u["trau_quy"] = _unit(old, Level.WARD, "00565", "Thị trấn Trâu Quỳ", "Trâu Quỳ", "Thị trấn", u["gia_lam"],
                          u["old_hn"])
    u["truc_bach"] = _unit(old, Level.WARD, "00004", "Phường Trúc Bạch", "Trúc Bạch", "Phường",
                           u["ba_dinh_district"], u["old_hn"])
    u["new_hn"] = _unit(new, Level.PROVINCE, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    u["bat_trang"] = _unit(new, Level.WARD, "00577", "Xã Bát Tràng", "Bát Tràng", "Xã", u["new_hn"], u["new_hn"])
    u["gia_lam_xa"] = _unit(new, Level.WARD, "00565", "Xã Gia Lâm", "Gia Lâm", "Xã", u["new_hn"], u["new_hn"])
    u["ba_dinh"] = _unit(new, Level.WARD, "00004", "Phường Ba Đình", "Ba Đình", "Phường", u["new_hn"], u["new_hn"])
    _edge(u["old_hn"], u["new_hn"])
    _edge(u["old_bat_trang"], u["bat_trang"])
    _edge(u["da_ton"], u["bat_trang"])
    _edge(u["trau_quy"], u["gia_lam_xa"])
    _edge(u["truc_bach"], u["ba_dinh"])
    _edge(u["gia_lam"], u["bat_trang"], SuccessionKind.PARTIAL, default=False)
    _edge(u["gia_lam"], u["gia_lam_xa"], SuccessionKind.PARTIAL, default=True)
    _edge(u["ba_dinh_district"], u["ba_dinh"], SuccessionKind.PARTIAL)
    return u
