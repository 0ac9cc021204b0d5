"""Exports to the national reporting system: SDMX-ML 2.1 (structure and data) and SDMX-CSV through `sdmx1`,
and the QCVN 125:2021 packet types as JSON.

The SDMX data set carries both views side by side: dimension SERIES_MODE is AS_REPORTED (a unit's own figures,
old units included, as they reported them) or AS_MERGED (today's units, the pre-reform periods computed through
the lineage); attribute OBS_STATUS is "E" (estimated: an apportioned part) or "A" (normal)."""

import datetime
import json

import sdmx
from sdmx.message import DataMessage, Header, StructureMessage
from sdmx.model import common
from sdmx.model import v21 as m

from hopnhat.org import lineage
from hopnhat.org.models import AdminUnit, Vintage

from . import series
from .models import Form, Indicator, PeriodType, Regime

AGENCY_ID = "VN_HOPNHAT"
DIMENSIONS = ["INDICATOR", "REF_AREA", "SERIES_MODE", "DISAGG"]


def area_id(unit: AdminUnit) -> str:
    """An SDMX id for a unit: OLD_PROVINCE_02, NEW_WARD_00004 (a code alone is not unique across vintages)."""
    return f"{'OLD' if unit.vintage == Vintage.OLD else 'NEW'}_{unit.level.upper()}_{unit.code}"


def _disagg_id(text: str) -> str:
    if not text:
        return "_T"
    from hopnhat.core.text import fold
    return "".join(ch if ch.isalnum() else "_" for ch in fold(text).upper())


def rows(indicators, units, start: int, end: int, kind: str | None = None) -> list[dict]:
    """Every figure to export: each unit as merged; it and its predecessors as reported."""
    out = []
    for indicator in indicators:
        for unit in units:
            for p in series.as_merged(indicator, unit, start, end, kind):
                if p.value is not None:
                    out.append({"indicator": indicator, "unit": unit, "mode": "AS_MERGED", "period": p.period,
                                "value": p.value, "estimated": p.estimated, "methods": p.methods})
            reporters = [unit] + [e.unit for e in lineage.predecessors(unit, level=unit.level)]
            for reporter in reporters:
                for p in series.as_reported(indicator, reporter, start, end, kind):
                    out.append({"indicator": indicator, "unit": reporter, "mode": "AS_REPORTED",
                                "period": p.period, "value": p.value, "estimated": False, "methods": ()})
    return out


def _sdmx_period(code: str) -> str:
    """Ours → SDMX reporting periods: 2024M03 → 2024-03, 2024Q4 → 2024-Q4, 2024H1 → 2024-S1, 2024N9 → 2024-01/P9M."""
    if len(code) == 4:
        return code
    kind = code[4]
    if kind == "M":
        return f"{code[:4]}-{code[5:]}"
    if kind == "Q":
        return f"{code[:4]}-Q{code[5]}"
    if kind == "H":
        return f"{code[:4]}-S{code[5]}"
    return f"{code[:4]}-01-01/P9M"


def structure(indicators, areas: list[AdminUnit]):
    agency = common.Agency(id=AGENCY_ID, name={"vi": "Nền tảng hợp nhất", "en": "hopnhat platform"})
    cl_ind = common.Codelist(id="CL_INDICATOR", maintainer=agency, version="1.0")
    for ind in indicators:
        cl_ind.append(common.Code(id=ind.code, name={"vi": ind.name}))
    cl_area = common.Codelist(id="CL_AREA", maintainer=agency, version="1.0")
    for unit in areas:
        if area_id(unit) not in cl_area:
            cl_area.append(common.Code(id=area_id(unit), name={"vi": unit.name}))
    cl_mode = common.Codelist(id="CL_SERIES_MODE", maintainer=agency, version="1.0")
    cl_mode.append(common.Code(id="AS_REPORTED", name={"vi": "Như đã báo cáo", "en": "As reported"}))
    cl_mode.append(common.Code(id="AS_MERGED", name={"vi": "Theo đơn vị hiện nay", "en": "As merged"}))
    dsd = m.DataStructureDefinition(id="DSD_HOPNHAT_REPORTS", maintainer=agency, version="1.0")
    for order, dim in enumerate(DIMENSIONS):
        d = dsd.dimensions.getdefault(dim, order=order)
        cl = {"INDICATOR": cl_ind, "REF_AREA": cl_area, "SERIES_MODE": cl_mode}.get(dim)
        if cl is not None:
            d.local_representation = common.Representation(enumerated=cl)
    dsd.dimensions.getdefault("TIME_PERIOD", cls=common.TimeDimension, order=len(DIMENSIONS))
    dsd.measures.getdefault("OBS_VALUE")
    dsd.attributes.getdefault("OBS_STATUS", related_to=m.PrimaryMeasureRelationship())
    dfd = m.DataflowDefinition(id="DF_HOPNHAT_REPORTS", maintainer=agency, version="1.0", structure=dsd)
    return agency, [cl_ind, cl_area, cl_mode], dsd, dfd


def build(indicators, units, start, end, kind=None):
    data_rows = rows(indicators, units, start, end, kind)
    areas = list({r["unit"].pk: r["unit"] for r in data_rows}.values()) or list(units)
    agency, codelists, dsd, dfd = structure(indicators, areas)
    ds = m.DataSet(structured_by=dsd, described_by=dfd)
    status = dsd.attributes.get("OBS_STATUS")
    observations = []
    for r in data_rows:
        key = dsd.make_key(common.Key, {"INDICATOR": r["indicator"].code, "REF_AREA": area_id(r["unit"]),
                                        "SERIES_MODE": r["mode"], "DISAGG": "_T",
                                        "TIME_PERIOD": _sdmx_period(r["period"])})
        observations.append(m.Observation(dimension=key, value=float(r["value"]), attached_attribute={
            "OBS_STATUS": common.AttributeValue(value="E" if r["estimated"] else "A", value_for=status)}))
    ds.add_obs(observations)
    return agency, codelists, dsd, dfd, ds, data_rows


def _header(agency) -> Header:
    return Header(id=f"HOPNHAT{datetime.datetime.now(datetime.UTC):%Y%m%d%H%M%S}", sender=agency,
                  prepared=datetime.datetime.now(datetime.UTC))


def to_sdmx_ml(indicators, units, start, end, kind=None) -> dict[str, bytes]:
    """{"structure.xml": …, "data.xml": …}"""
    agency, codelists, dsd, dfd, ds, _ = build(indicators, units, start, end, kind)
    sm = StructureMessage(header=_header(agency))
    for obj in (*codelists, dsd, dfd):
        sm.add(obj)
    dm = DataMessage(header=_header(agency), data=[ds], dataflow=dfd)
    return {"structure.xml": sdmx.to_xml(sm, pretty_print=True), "data.xml": sdmx.to_xml(dm, pretty_print=True)}


def to_sdmx_csv(indicators, units, start, end, path, kind=None) -> int:
    *_, ds, data_rows = build(indicators, units, start, end, kind)
    sdmx.to_csv(ds, path=path, attributes="o")
    return len(data_rows)


# ---------------------------------------------------------------------------------------------------------------
# QCVN 125:2021 packets (regime, form, indicator catalogue, period catalogue, report data). The standard lists the
# packet types; the field names below are our best-supported reading (docs/decisions.md marks the uncertain ones).

def qcvn125_packets(indicators, units, start, end, kind=None) -> dict[str, dict]:
    sent = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")

    def packet(kind_name, items):
        return {"LoaiGoiTin": kind_name, "PhienBan": "QCVN 125:2021", "ThoiGianGui": sent,
                "DonViGui": AGENCY_ID, "DuLieu": items}

    regimes = [{"MaCheDo": r.code, "TenCheDo": r.name, "NoiDung": r.content, "DoiTuongThucHien": r.reporting_entities,
                "CoQuanNhan": r.receiving_body, "PhuongThuc": r.method, "ThoiHanGui": r.deadline_note or
                f"{r.deadline_days} ngày làm việc", "TanSuat": r.frequency, "ThoiGianChotSoLieu": r.cutoff_note,
                "MauDeCuong": r.outline_template, "BieuMauSoLieu": r.data_form, "MaQuocGia": r.national_code}
               for r in Regime.objects.all()]
    forms = [{"MaBieu": f.code, "TenBieu": f.name, "MaCheDo": f.regime.code,
              "ChiTieu": [{"STT": row.order, "MaChiTieu": row.indicator.code, "PhanTo": row.disaggregation}
                          for row in f.rows.select_related("indicator")]}
             for f in Form.objects.select_related("regime")]
    catalogue = [{"MaChiTieu": i.code, "TenChiTieu": i.name, "DonViTinh": i.unit_of_measure,
                  "PhanTo": i.disaggregations, "CachTongHop": i.aggregation, "MaQuocGia": i.national_code,
                  "TuSo": i.numerator.code if i.numerator_id else None,
                  "MauSo": i.denominator.code if i.denominator_id else None}
                 for i in Indicator.objects.select_related("numerator", "denominator")]
    period_types = [{"LoaiKy": p.kind, "TenKy": p.name, "NgayChot": p.cutoff_day, "QuyUoc": p.cutoff_note}
                    for p in PeriodType.objects.order_by("kind")]
    data = [{"MaChiTieu": r["indicator"].code, "MaQuocGia": r["indicator"].national_code,
             "MaDonVi": r["unit"].code, "CapDonVi": str(r["unit"].level), "ThoiKy": str(r["unit"].vintage),
             "KyBaoCao": r["period"], "CachTinh": r["mode"], "GiaTri": format(r["value"].normalize(), "f"),
             "UocTinh": r["estimated"], "PhuongPhapUocTinh": list(r["methods"])}
            for r in rows(indicators, units, start, end, kind)]
    return {"che-do-bao-cao.json": packet("CheDoBaoCao", regimes), "bieu-mau.json": packet("BieuMau", forms),
            "danh-muc-chi-tieu.json": packet("DanhMucChiTieu", catalogue),
            "danh-muc-ky-bao-cao.json": packet("DanhMucKyBaoCao", period_types),
            "du-lieu-bao-cao.json": packet("DuLieuBaoCao", data)}


def qcvn125_bytes(packets: dict[str, dict]) -> dict[str, bytes]:
    return {name: json.dumps(p, ensure_ascii=False, indent=2).encode() for name, p in packets.items()}
