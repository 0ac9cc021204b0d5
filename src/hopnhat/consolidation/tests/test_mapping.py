"""What a mapping file does to values: `value_maps` (an old column's labels → platform values) and the
`crosswalks: unit:` table (an old system's own area codes → today's units, through org.lineage)."""

import csv
import unicodedata

import pytest

from hopnhat.consolidation.api import MappingError
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.org import testing
from hopnhat.org.models import Agency, Level, Person, Vintage

STAFF_YAML = """\
system: hr-hagiang
importer: org.people
source: {kind: csv, path: nhan_su.csv}
key: ma_nv
fields:
  full_name: {from: ho_ten, required: true}
  status: {from: trang_thai, map: trang_thai, default: dang_cong_tac}
  position: {from: ma_chuc_vu, map: chuc_vu}
value_maps:
  trang_thai:
    Đang công tác: dang_cong_tac
    Nghỉ hưu: nghi_huu
    Chuyển công tác: chuyen_di
  chuc_vu: {1: Giám đốc, 2: Phó Giám đốc, 3: Chuyên viên}
"""


def _csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _staged(system, stream):
    return {s.key: s for s in StagedRecord.objects.filter(system=system, stream=stream)}


def test_value_map_turns_old_status_labels_into_values_and_names_what_it_cannot_map(tmp_path):
    path = tmp_path / "hr-hagiang.yaml"
    path.write_text(STAFF_YAML, encoding="utf-8")
    mapping = Mapping.from_yaml(path)

    assert mapping.map_fields({"ho_ten": "Lê Thị Mai", "trang_thai": "Nghỉ hưu", "ma_chuc_vu": 2}) == {
        "full_name": "Lê Thị Mai", "status": "nghi_huu", "position": "Phó Giám đốc"}
    # Keys written as numbers in YAML match the column whether it holds 3 or "3"; cells are trimmed.
    hung = mapping.map_fields({"ho_ten": "Nguyễn Văn Hùng", "trang_thai": " Đang công tác ", "ma_chuc_vu": "3"})
    assert (hung["status"], hung["position"]) == ("dang_cong_tac", "Chuyên viên")
    # A label stored decomposed (NFD, as some old Mac-entered data is) matches the map's NFC key, and a map
    # written decomposed matches NFC cells.
    decomposed = unicodedata.normalize("NFD", "Nghỉ hưu")
    assert mapping.map_fields({"ho_ten": "Lê Thị Mai", "trang_thai": decomposed})["status"] == "nghi_huu"
    nfd_map = Mapping.from_yaml(_write(tmp_path / "nfd.yaml", unicodedata.normalize("NFD", STAFF_YAML)))
    assert nfd_map.map_fields({"ho_ten": "Lê Thị Mai", "trang_thai": "Chuyển công tác"})["status"] == "chuyen_di"
    # An empty cell takes the default (a platform value, not looked up again); no position stays empty.
    for empty in ("", None):
        assert mapping.map_fields({"ho_ten": "Lò Thị Dung", "trang_thai": empty}) == {
            "full_name": "Lò Thị Dung", "status": "dang_cong_tac", "position": ""}

    with pytest.raises(MappingError) as error:
        mapping.map_fields({"ho_ten": "Vũ Thị Lan", "trang_thai": "Biệt phái", "ma_chuc_vu": 3})
    assert error.value.field == "status"
    assert str(error.value) == ("trường “status”: giá trị “Biệt phái” không có trong bảng “trang_thai” "
                                "/ value not in value map 'trang_thai'")
    with pytest.raises(MappingError, match="“chuc_vu”") as error:
        mapping.map_fields({"ho_ten": "Vũ Thị Lan", "trang_thai": "Nghỉ hưu", "ma_chuc_vu": 9})
    assert error.value.field == "position"

    # What a run stores (and final sync runs again) maps the same.
    again = Mapping.from_dict(mapping.as_dict())
    assert again.map_fields({"ho_ten": "Lê Thị Mai", "trang_thai": "Nghỉ hưu", "ma_chuc_vu": 2})["status"] == "nghi_huu"

    broken = STAFF_YAML.replace("map: trang_thai,", "map: tinh_trang,")
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError, match="trường “status” dùng bảng giá trị “tinh_trang” không có"):
        Mapping.from_yaml(path)


@pytest.mark.django_db
def test_value_mapped_agencies_and_positions_reach_the_staff_register(org, tmp_path):
    _csv(tmp_path / "nhan_su.csv", [
        ("ma_nv", "ho_ten", "ngay_sinh", "don_vi", "ma_chuc_vu", "trang_thai"),
        ("NV01", "Nguyễn Văn Hùng", "12/04/1978", "Sở Nội vụ", "GĐ", "Đang công tác"),
        ("NV02", "Lê Thị Mai", "30/11/1985", "Sở Tài chính", "PGĐ", "Đang công tác"),
        ("NV03", "Đặng Quốc Bảo", "05/05/1960", "Sở Nội vụ", "CV", "Nghỉ hưu"),
        ("NV04", "Vũ Thị Lan", "15/03/1988", "Phòng Tư pháp", "CV", "Đang công tác"),
        ("NV05", "Triệu Văn Sơn", "07/07/1982", "Sở Tài chính", "TP", "Đang công tác"),
    ])
    mapping = Mapping.from_dict({
        "system": "hr-hagiang", "importer": "org.people", "stream": "people",
        "source": {"kind": "csv", "path": "nhan_su.csv"}, "key": "ma_nv",
        "fields": {"full_name": {"from": "ho_ten", "required": True},
                   "birth_date": {"from": "ngay_sinh", "type": "date"},
                   "agency_code": {"from": "don_vi", "map": "don_vi_cu"},
                   "position": {"from": "ma_chuc_vu", "map": "chuc_vu"}},
        "value_maps": {"don_vi_cu": {"Sở Nội vụ": "000.00.02.H22", "Sở Tài chính": "000.00.05.H22"},
                       "chuc_vu": {"GĐ": "Giám đốc", "PGĐ": "Phó Giám đốc", "CV": "Chuyên viên"}},
        "filters": [{"name": "da_nghi_huu", "field": "trang_thai", "equals": "Nghỉ hưu"}],
    }, base_dir=tmp_path)

    run = run_mapping(mapping, actor="system:test")

    assert run.balanced is True
    assert run.totals["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 2, "filtered": 1}
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng").memberships.get()
    # "Sở Nội vụ" → 000.00.02.H22, closed into Tuyên Quang's Sở Nội vụ: the agency acting for it today.
    assert (hung.agency, hung.position.name) == (org["snv_tq"], "Giám đốc")
    mai = Person.objects.get(full_name="Lê Thị Mai").memberships.get()
    assert (mai.agency, mai.position.name) == (org["stc_hg"], "Phó Giám đốc")
    staged = _staged("hr-hagiang", "people")
    assert (staged["NV03"].outcome, staged["NV03"].reason) == ("filtered", "da_nghi_huu")
    assert staged["NV04"].outcome == "quarantined"
    assert "nhan_su.csv, khóa NV04" in staged["NV04"].reason
    assert "trường “agency_code”: giá trị “Phòng Tư pháp” không có trong bảng “don_vi_cu”" in staged["NV04"].reason
    assert "trường “position”: giá trị “TP” không có trong bảng “chuc_vu”" in staged["NV05"].reason
    assert not Person.objects.filter(full_name__in=["Đặng Quốc Bảo", "Vũ Thị Lan", "Triệu Văn Sơn"]).exists()


def _ba_dinh():
    """Quận Ba Đình before 1/7/2025 and the wards that replaced it (official GSO codes): Trúc Bạch went whole
    into the new Phường Ba Đình (which took its code 00004), Ngọc Hà whole into the new Phường Ngọc Hà (00008),
    Đội Cấn was split between the two."""
    old, new, ward = Vintage.OLD, Vintage.NEW, Level.WARD
    hn_old = testing.unit(old, Level.PROVINCE, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    hn = testing.unit(new, Level.PROVINCE, "01", "Thành phố Hà Nội", "Hà Nội", "Thành phố")
    district = testing.unit(old, Level.DISTRICT, "001", "Quận Ba Đình", "Ba Đình", "Quận", hn_old, hn_old)
    truc_bach = testing.unit(old, ward, "00004", "Phường Trúc Bạch", "Trúc Bạch", "Phường", district, hn_old)
    doi_can = testing.unit(old, ward, "00022", "Phường Đội Cấn", "Đội Cấn", "Phường", district, hn_old)
    ngoc_ha_old = testing.unit(old, ward, "00016", "Phường Ngọc Hà", "Ngọc Hà", "Phường", district, hn_old)
    ba_dinh = testing.unit(new, ward, "00004", "Phường Ba Đình", "Ba Đình", "Phường", hn, hn)
    ngoc_ha = testing.unit(new, ward, "00008", "Phường Ngọc Hà", "Ngọc Hà", "Phường", hn, hn)
    testing.edge(hn_old, hn, "whole", default=True)
    testing.edge(truc_bach, ba_dinh, "whole", default=True)
    testing.edge(ngoc_ha_old, ngoc_ha, "whole", default=True)
    testing.edge(doi_can, ba_dinh, "partial")
    testing.edge(doi_can, ngoc_ha, "partial", default=True)
    return ba_dinh, ngoc_ha


@pytest.mark.django_db
def test_unit_crosswalk_resolves_old_area_codes_to_todays_ward_through_lineage(tmp_path):
    ba_dinh, ngoc_ha = _ba_dinh()
    _csv(tmp_path / "don_vi.csv", [
        ("ma_dinh_danh", "ten_don_vi", "dia_ban"),
        ("000.04.01.H26", "UBND phường Trúc Bạch", "BD-TB"),               # crosswalk → GSO code 00004
        ("000.16.01.H26", "UBND phường Ngọc Hà", "P. Ngọc Hà, Q. Ba Đình"),  # not in it: resolved as written
        ("000.22.01.H26", "UBND phường Đội Cấn", "BD-DC"),                 # crosswalk → a ward split in two
        ("000.99.01.H26", "UBND phường Cống Vị cũ", "BD-CV"),              # neither: no unit
    ])
    mapping = Mapping.from_dict({
        "system": "hr-badinh", "importer": "org.agencies", "stream": "agencies",
        "source": {"kind": "csv", "path": "don_vi.csv"}, "key": "ma_dinh_danh",
        "fields": {"code": "ma_dinh_danh", "name": "ten_don_vi", "unit": "dia_ban"},
        "crosswalks": {"unit": {"BD-TB": "00004", "BD-DC": "Phường Đội Cấn, Quận Ba Đình, Hà Nội"}},
    }, base_dir=tmp_path)

    run = run_mapping(mapping, actor="system:test")

    assert run.balanced is True
    assert run.totals["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 2, "filtered": 0}
    # "00004" is both the old Trúc Bạch and the new Ba Đình: either way today's unit is Phường Ba Đình.
    assert Agency.objects.get(code="000.04.01.H26").unit == ba_dinh
    assert Agency.objects.get(code="000.16.01.H26").unit == ngoc_ha
    staged = _staged("hr-badinh", "agencies")
    split = staged["000.22.01.H26"]
    assert split.outcome == "quarantined" and "khớp 2 đơn vị hiện nay" in split.reason
    assert "Phường Ba Đình" in split.reason and "Phường Ngọc Hà" in split.reason
    unknown = staged["000.99.01.H26"]
    assert unknown.outcome == "quarantined" and "“BD-CV” khớp 0 đơn vị" in unknown.reason
    assert not Agency.objects.filter(code__in=["000.22.01.H26", "000.99.01.H26"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 500])
def test_a_merge_filling_a_blank_field_balances_and_a_dry_run_counts_it(org, tmp_path, batch_size):
    """The same person twice in one old staff list (same CCCD), the first row without e-mail or phone: the merge
    fills them in (never overwrites). Whether the two rows fall in one batch or two, nothing of either row is
    lost and the run balances: the first row's blank e-mail is not "lost" because the second row filled it."""
    _csv(tmp_path / "nhan_su.csv", [
        ("ma_nv", "ho_ten", "so_cccd", "email", "dien_thoai", "don_vi"),
        ("NV11", "Hoàng Thị Thu Hương", "002185004321", "", "", "000.00.02.H22"),
        ("NV12", "Hoàng Thị Thu Hương", "002185004321", "huonght@hagiang.gov.vn", "0912345678", "000.00.05.H22"),
        ("NV13", "Nông Văn Khải", "002080001234", "khainv@hagiang.gov.vn", "", "000.00.05.H22"),
    ])
    mapping = Mapping.from_dict({
        "system": "hr-hagiang", "importer": "org.people", "stream": "people",
        "source": {"kind": "csv", "path": "nhan_su.csv"}, "key": "ma_nv", "pii": ["so_cccd"],
        "fields": {"full_name": {"from": "ho_ten", "required": True}, "national_id_hash": "so_cccd",
                   "email": "email", "phone": "dien_thoai", "agency_code": "don_vi"},
        "options": {"batch_size": batch_size},
    }, base_dir=tmp_path)

    # A dry run first: it counts what the run will do, the merge across batches included, and writes nothing.
    preview = run_mapping(mapping, actor="system:test", dry_run=True)
    assert preview.totals["outcomes"] == {"loaded": 2, "merged": 1, "quarantined": 0, "filtered": 0}
    assert not Person.objects.exists() and not StagedRecord.objects.exists()

    run = run_mapping(mapping, actor="system:test")

    assert run.totals["outcomes"] == {"loaded": 2, "merged": 1, "quarantined": 0, "filtered": 0}
    huong = Person.objects.get(full_name="Hoàng Thị Thu Hương")
    assert (huong.email, huong.phone, huong.memberships.count()) == ("huonght@hagiang.gov.vn", "0912345678", 2)
    assert (run.field_checks["email"]["compared"], run.field_checks["email"]["mismatched"]) == (2, 0)
    assert run.field_checks["email"]["source_checksum"] == run.field_checks["email"]["target_checksum"]
    assert run.balanced is True

