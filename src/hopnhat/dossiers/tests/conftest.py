"""The slice of Hà Nội the dossier tests need: Quận Ba Đình (abolished), Phường Đội Cấn (split between Ba Đình
and Ngọc Hà, Ngọc Hà the default), Phường Trúc Bạch (whole into Ba Đình) and their agencies before and after
1/7/2025. Codes are the official GSO ones; agency codes follow the mã định danh form of Hà Nội (H26)."""

import datetime
import zoneinfo
from types import SimpleNamespace

import pytest

from hopnhat.dossiers import samples
from hopnhat.org import testing
from hopnhat.org.models import Level, Vintage

ACTOR = "system:test-dossiers"
VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def _unit(vintage, level, code, name, short, unit_type, parent=None, province=None):
    return testing.unit(vintage, level, code, name, short, unit_type, parent=parent, province=province)


def _edge(pred, succ, kind, default=False):
    testing.edge(pred, succ, kind, default)


def build_hanoi():
    OLD, N, P, D, W = Vintage.OLD, Vintage.NEW, Level.PROVINCE, Level.DISTRICT, Level.WARD
    hn_old = _unit(OLD, P, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    hn = _unit(N, P, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    ba_dinh_district = _unit(OLD, D, "001", "Quận Ba Đình", "Ba Đình", "Quận", hn_old, hn_old)
    doi_can = _unit(OLD, W, "00022", "Phường Đội Cấn", "Đội Cấn", "Phường", ba_dinh_district, hn_old)
    truc_bach = _unit(OLD, W, "00004", "Phường Trúc Bạch", "Trúc Bạch", "Phường", ba_dinh_district, hn_old)
    ngoc_ha_old = _unit(OLD, W, "00016", "Phường Ngọc Hà", "Ngọc Hà", "Phường", ba_dinh_district, hn_old)
    ba_dinh = _unit(N, W, "00004", "Phường Ba Đình", "Ba Đình", "Phường", hn, hn)
    ngoc_ha = _unit(N, W, "00008", "Phường Ngọc Hà", "Ngọc Hà", "Phường", hn, hn)
    giang_vo = _unit(N, W, "00025", "Phường Giảng Võ", "Giảng Võ", "Phường", hn, hn)
    _edge(hn_old, hn, "whole", True)
    _edge(doi_can, ba_dinh, "partial")
    _edge(doi_can, ngoc_ha, "partial", True)
    _edge(truc_bach, ba_dinh, "whole", True)
    _edge(ngoc_ha_old, ngoc_ha, "whole", True)
    for succ, default in ((ba_dinh, True), (ngoc_ha, False), (giang_vo, False)):
        _edge(ba_dinh_district, succ, "partial", default)

    made = samples.ensure_agencies()
    return SimpleNamespace(
        units=SimpleNamespace(doi_can=doi_can, truc_bach=truc_bach, ba_dinh=ba_dinh, ngoc_ha=ngoc_ha,
                              giang_vo=giang_vo, district=ba_dinh_district),
        **made,
    )


def close_old_agencies(hn):
    """What the reform did to the agencies on 1/7/2025."""
    samples.close_agencies(vars(hn))


def build_procedures():
    made = samples.ensure_procedures()
    return SimpleNamespace(birth=made["1.001193.000.00.00.H26"], certify=made["2.000884.000.00.00.H26"],
                           land=made["1.004227.000.00.00.H26"])


@pytest.fixture
def hanoi(db):
    return build_hanoi()


@pytest.fixture
def procedures(db):
    return build_procedures()


def at(y, m, d, hh=9, mm=0):
    """A moment in Vietnam time."""
    return datetime.datetime(y, m, d, hh, mm, tzinfo=VN)
