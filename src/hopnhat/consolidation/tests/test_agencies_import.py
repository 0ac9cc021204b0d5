"""Old agency lists (a VNI-encoded CSV export of Hà Giang's HR system) through the org.agencies importer."""

import csv
import io

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core.provenance import sources_of
from hopnhat.org.models import Agency

from .legacy_hr import to_vni

pytestmark = pytest.mark.django_db

ROWS = [
    ("ma_dinh_danh", "ten_don_vi", "ma_cha", "dia_ban"),
    ("000.00.00.H22", "Ủy ban nhân dân tỉnh Hà Giang", "", "02"),
    ("000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", "000.00.00.H22", "02"),   # already on the platform: merged
    ("000.02.02.H22", "Phòng Công chức, viên chức", "000.00.02.H22", ""),
    ("000.03.02.H22", "Phòng Cải cách hành chính", "000.09.09.H22", ""),  # parent unknown: orphan
    ("SNV-HG-CU", "Ban Thi đua - Khen thưởng", "000.00.02.H22", ""),      # not a mã định danh
    ("000.04.02.H22", "", "000.00.02.H22", ""),                          # no name
]


def test_vni_agency_list_loads_with_parents_units_and_named_rejects(org, tmp_path):
    path = tmp_path / "don_vi_ha_giang.csv"
    out = io.StringIO()
    csv.writer(out).writerows(ROWS)  # quotes "Phòng Công chức, viên chức"
    path.write_bytes(to_vni(out.getvalue()).encode("latin-1"))
    mapping = Mapping.from_dict({
        "system": "hr-hagiang", "stream": "agencies", "importer": "org.agencies",
        "source": {"kind": "csv", "path": path.name, "encoding": "vni"}, "key": "ma_dinh_danh",
        "fields": {"code": "ma_dinh_danh", "name": "ten_don_vi", "parent_code": "ma_cha", "unit": "dia_ban"},
    }, base_dir=tmp_path)
    run = run_mapping(mapping, actor="system:test")

    assert run.balanced is True
    staged = {s.key: s for s in StagedRecord.objects.filter(stream="agencies")}
    ubnd = Agency.objects.get(code="000.00.00.H22")
    assert ubnd.name == "Ủy ban nhân dân tỉnh Hà Giang" and staged["000.00.00.H22"].outcome == "loaded"
    assert ubnd.unit == org["new_tq"]  # the old province 02 lives on in the new Tỉnh Tuyên Quang
    assert staged["000.00.02.H22"].outcome == "merged"
    assert [p.source_key for p in sources_of(org["snv_hg"])] == ["000.00.02.H22"]
    phong = Agency.objects.get(code="000.02.02.H22")
    # The old Sở Nội vụ is closed: a department under it now hangs under the agency acting for it today.
    assert phong.name == "Phòng Công chức, viên chức" and phong.parent == org["snv_tq"]
    assert "000.09.09.H22" in staged["000.03.02.H22"].reason
    assert "don_vi_ha_giang.csv, khóa SNV-HG-CU" in staged["SNV-HG-CU"].reason
    assert "V1V2V3" in staged["SNV-HG-CU"].reason
    assert "tên" in staged["000.04.02.H22"].reason
    assert run.field_checks["name"]["compared"] == 2 and run.field_checks["name"]["mismatched"] == 0
