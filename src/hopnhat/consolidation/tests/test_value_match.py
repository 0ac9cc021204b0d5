"""Issue 12 item 4: a value map that matches on the platform's folding key (or on the tones with their
placement and the i/y spelling set aside), so one entry serves "Dang xu ly", "ĐANG XỬ LÝ" and "Đang xử lí"."""

import csv

import pytest

from hopnhat.consolidation.api import MappingError
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.models import Membership

STATUS = {"Mới tiếp nhận": 1, "Đang xử lý": 4, "Đã trả kết quả": 10, "Hoà giải": 7}
TYPED = ["Dang xu ly", "ĐANG XỬ LÝ", "Đang xử lí", "  đang  xử lý ", "đang xử lý"]


def _mapping(match=None):
    table = {"match": match, "values": STATUS} if match else STATUS
    return Mapping.from_dict({"system": "motcua-test", "importer": "org.agencies", "source": {"kind": "csv",
                              "path": "x.csv"}, "fields": {"status": {"from": "trang_thai", "map": "tt"}},
                              "value_maps": {"tt": table}})


def test_fold_matches_every_spelling_of_one_status():
    mapping = _mapping("fold")
    for typed in TYPED:
        assert mapping.map_fields({"trang_thai": typed}) == {"status": "4"}, typed
    assert mapping.map_fields({"trang_thai": "Hòa giải"})["status"] == "7"   # old tone placement
    with pytest.raises(MappingError, match="match: fold"):
        mapping.map_fields({"trang_thai": "Đang xử lý hồ sơ"})
    # the mapping as a run stores it (final sync runs it again) matches the same way
    assert Mapping.from_dict(mapping.as_dict()).map_fields({"trang_thai": "Dang xu ly"}) == {"status": "4"}


def test_tone_keeps_the_tones_but_not_their_placement_case_or_i_y():
    mapping = _mapping("tone")
    for typed in ("ĐANG XỬ LÝ", "Đang xử lí", "đang xử lý"):
        assert mapping.map_fields({"trang_thai": typed}) == {"status": "4"}, typed
    assert mapping.map_fields({"trang_thai": "hòa giải"})["status"] == "7"
    with pytest.raises(MappingError):
        mapping.map_fields({"trang_thai": "Dang xu ly"})   # no tones at all: only fold matches it


def test_without_match_each_spelling_still_needs_its_entry():
    mapping = _mapping()
    assert mapping.map_fields({"trang_thai": "Đang xử lý"}) == {"status": "4"}
    for typed in ("Dang xu ly", "ĐANG XỬ LÝ", "Đang xử lí"):
        with pytest.raises(MappingError):
            mapping.map_fields({"trang_thai": typed})


def test_two_entries_meeting_on_one_key_with_different_values_are_refused():
    with pytest.raises(ValueError, match="trùng khóa so khớp"):
        Mapping.from_dict({"system": "motcua-test", "importer": "org.agencies", "source": {"kind": "csv"},
                           "value_maps": {"tt": {"match": "fold", "values": {"Đã xử lý": 5, "Đang xử lý": 4,
                                                                             "Da xu li": 6}}}})


@pytest.mark.django_db
def test_a_run_loads_titles_typed_every_way_through_one_entry(org, tmp_path):
    rows = [["ma_nv", "ho_ten", "don_vi", "chuc_vu"],
            ["1", "Nguyễn Văn Hùng", "000.00.02.H60", "Giám đốc"], ["2", "Lê Thị Mai", "000.00.02.H60", "GIÁM ĐỐC"],
            ["3", "Ma Thị Hiền", "000.00.02.H60", "Giam doc"], ["4", "Nông Văn Khải", "000.00.02.H60", "Phó giám đốc"],
            ["5", "Lò Thị Dung", "000.00.02.H60", "Kỹ thuật viên"],
            ["6", "Hà Văn Sáu", "000.00.02.H60", "kĩ thuật viên"]]
    with (tmp_path / "can_bo.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    run = run_mapping(Mapping.from_dict({
        "system": "hr-tuyenquang", "importer": "org.people", "stream": "people",
        "source": {"kind": "csv", "path": str(tmp_path / "can_bo.csv"), "key": "ma_nv"},
        "fields": {"full_name": "ho_ten", "agency_code": "don_vi", "position": {"from": "chuc_vu", "map": "cv"}},
        "value_maps": {"cv": {"match": "fold", "values": {"Giám đốc": "Giám đốc", "Phó Giám đốc": "Phó Giám đốc",
                                                           "Kỹ thuật viên": "Kỹ thuật viên"}}},
    }), actor="system:test")
    assert run.totals["outcomes"]["loaded"] == 6 and run.balanced is True
    assert sorted(m.position.name for m in Membership.objects.all()) == [
        "Giám đốc", "Giám đốc", "Giám đốc", "Kỹ thuật viên", "Kỹ thuật viên", "Phó Giám đốc"]
