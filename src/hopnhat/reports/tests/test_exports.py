"""Every SDMX export is read back with sdmx1 and compared with the source figures."""

import json
from decimal import Decimal

import sdmx

from hopnhat.reports import exports
from hopnhat.reports.collection import record_values

from .conftest import ACTOR


def _figures(tq):
    u, births = tq.units, tq.cat.births
    record_values([(births, u.hg, None, "2024", "", Decimal(1000)), (births, u.tq_old, None, "2024", "",
                                                                        Decimal(1500)),
                   (births, u.tq, None, "2025", "", Decimal(2600)),
                   (births, u.ys_old, None, "2024", "", Decimal(300)), (births, u.lq_old, None, "2024", "",
                                                                           Decimal(50))], "import", ACTOR)


def test_sdmx_ml_structure_and_data_read_back(tq, tmp_path):
    _figures(tq)
    u = tq.units
    files = exports.to_sdmx_ml([tq.cat.births], [u.tq, u.ys], 2024, 2025)
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    structure = sdmx.read_sdmx(tmp_path / "structure.xml")
    dsd = structure.structure["DSD_HOPNHAT_REPORTS"]
    assert "NEW_PROVINCE_08" in structure.codelist["CL_AREA"]
    data = sdmx.read_sdmx(tmp_path / "data.xml", structure=dsd)
    got = {}
    for obs in data.data[0].obs:
        k = obs.dimension.values
        got[(k["REF_AREA"].value, k["SERIES_MODE"].value, k["TIME_PERIOD"].value)] = (
            float(obs.value), obs.attached_attribute["OBS_STATUS"].value)
    assert got[("NEW_PROVINCE_08", "AS_MERGED", "2024")] == (2500.0, "A")
    assert got[("NEW_PROVINCE_08", "AS_MERGED", "2025")] == (2600.0, "A")
    assert got[("OLD_PROVINCE_02", "AS_REPORTED", "2024")] == (1000.0, "A")
    assert got[("NEW_WARD_99911", "AS_MERGED", "2024")] == (200.0, "E")   # 300/2 + 50, the half estimated
    assert got[("OLD_WARD_99901", "AS_REPORTED", "2024")] == (300.0, "A")


def test_sdmx_csv_read_back(tq, tmp_path):
    _figures(tq)
    path = tmp_path / "data.csv"
    n = exports.to_sdmx_csv([tq.cat.births], [tq.units.tq], 2024, 2025, path)
    _, _, dsd, dfd, _, _ = exports.build([tq.cat.births], [tq.units.tq], 2024, 2025)
    back = sdmx.read_sdmx(path, format="csv", structure=dfd)
    got = {(o.dimension.values["REF_AREA"].value, o.dimension.values["SERIES_MODE"].value,
            o.dimension.values["TIME_PERIOD"].value): float(o.value) for o in back.data[0].obs}
    assert len(got) == n == 5
    assert got[("NEW_PROVINCE_08", "AS_MERGED", "2024")] == 2500.0
    assert got[("OLD_PROVINCE_08", "AS_REPORTED", "2024")] == 1500.0


def test_qcvn125_packets(tq):
    _figures(tq)
    packets = exports.qcvn125_packets([tq.cat.births], [tq.units.ys], 2024, 2025)
    assert set(packets) == {"che-do-bao-cao.json", "bieu-mau.json", "danh-muc-chi-tieu.json",
                            "danh-muc-ky-bao-cao.json", "du-lieu-bao-cao.json"}
    regime = packets["che-do-bao-cao.json"]["DuLieu"][0]
    assert regime["MaCheDo"] == "BC-DS-01" and regime["CoQuanNhan"] == "UBND tỉnh"
    merged = [d for d in packets["du-lieu-bao-cao.json"]["DuLieu"] if d["CachTinh"] == "AS_MERGED"]
    assert merged == [{"MaChiTieu": "DS01", "MaQuocGia": "0101", "MaDonVi": "99911", "CapDonVi": "ward",
                       "ThoiKy": "2025-07-01", "KyBaoCao": "2024", "CachTinh": "AS_MERGED", "GiaTri": "200",
                       "UocTinh": True,
                       "PhuongPhapUocTinh": ["equal"]}]
    json.dumps(packets, ensure_ascii=False)


def test_cli_export_each_format(tq, tmp_path, capsys):
    from django.core.management import call_command
    _figures(tq)
    for fmt, expected in (("sdmx-ml", {"structure.xml", "data.xml"}), ("sdmx-csv", {"data.csv"}),
                          ("qcvn125", {"du-lieu-bao-cao.json", "che-do-bao-cao.json", "bieu-mau.json",
                                       "danh-muc-chi-tieu.json", "danh-muc-ky-bao-cao.json"})):
        out = tmp_path / fmt
        call_command("reports", "export", "--format", fmt, "--indicator", "DS01", "--unit", tq.units.tq.node_id,
                     "--from", "2024", "--to", "2025", "--out", str(out), "--json")
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] and {p.split("/")[-1] for p in data["files"]} == expected
        assert all((out / name).stat().st_size > 0 for name in expected)
