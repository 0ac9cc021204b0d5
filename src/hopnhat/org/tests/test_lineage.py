"""resolve / successors / predecessors / current / default_current / chain / explain on the national graph."""

import datetime

import pytest

from hopnhat.org import lineage
from hopnhat.org.models import Level, SuccessionKind, Vintage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BEFORE = datetime.date(2025, 6, 30)
AFTER = datetime.date(2025, 8, 1)


def names(matches):
    return [(m.unit.name, m.unit.vintage, tuple(m.unit.path_names()[1:])) for m in matches]


def the(query, **kwargs):
    (match,) = lineage.resolve(query, **kwargs)
    return match.unit


def test_code_means_both_vintages_unless_a_date_says_which(national_units):
    assert names(lineage.resolve("00004")) == [
        ("Phường Trúc Bạch", Vintage.OLD, ("Quận Ba Đình", "Thành phố Hà Nội")),
        ("Phường Ba Đình", Vintage.NEW, ("Thành phố Hà Nội",)),
    ]
    assert the("00004", at=BEFORE).name == "Phường Trúc Bạch"
    assert the("00004", at=AFTER).name == "Phường Ba Đình"
    assert the("VN/2025-06-30/ward/00004").name == "Phường Trúc Bạch"
    assert the("02").name == "Tỉnh Hà Giang"


def test_path_with_and_without_type_words_and_diacritics(national_units):
    doi_can = the("Phường Đội Cấn, Quận Ba Đình, Hà Nội")
    assert doi_can.code == "00022"
    assert the("doi can, ba dinh, ha noi") == doi_can
    assert the("P. Đội Cấn, Q. Ba Đình") == doi_can
    assert the("ĐỘI CẤN, BA ĐÌNH") == doi_can
    assert lineage.resolve("Phường Đội Cấn, Quận Ba Đình, Hà Nội")[0].why == "path"
    # typed without commas: the words after the unit's name must name its district and/or province
    assert the("doi can ba dinh ha noi") == doi_can
    assert the("Phường Đội Cấn Quận Ba Đình") == doi_can
    assert the("doi can tuyen quang").path_names()[1] == "Thành phố Tuyên Quang"


def test_ambiguous_name_returns_every_candidate_with_its_place(national_units):
    assert names(lineage.resolve("doi can")) == [
        ("Phường Đội Cấn", Vintage.OLD, ("Quận Ba Đình", "Thành phố Hà Nội")),
        ("Phường Đội Cấn", Vintage.OLD, ("Thành phố Tuyên Quang", "Tỉnh Tuyên Quang")),
        ("Xã Đội Cấn", Vintage.OLD, ("Huyện Tràng Định", "Tỉnh Lạng Sơn")),
    ]
    ha_giang = names(lineage.resolve("Ha Giang"))
    assert ("Tỉnh Hà Giang", Vintage.OLD, ()) in ha_giang
    assert ("Thành phố Hà Giang", Vintage.OLD, ("Tỉnh Hà Giang",)) in ha_giang
    assert names(lineage.resolve("Ha Giang", level=Level.PROVINCE)) == [("Tỉnh Hà Giang", Vintage.OLD, ())]


def test_numbered_wards_and_tone_variants_meet(national_units):
    assert the("Phường 01, Quận 3, TP HCM") == the("Phường 1, Quận 3, Thành phố Hồ Chí Minh")
    assert names(lineage.resolve("Hoà Bình")) == names(lineage.resolve("Hòa Bình"))
    assert ("Tỉnh Hòa Bình", Vintage.OLD, ()) in names(lineage.resolve("Hoà Bình"))


def test_aliases_and_spelling_variants(national_units):
    hue = lineage.resolve("Thừa Thiên Huế")
    assert [(m.unit.name, m.unit.vintage, m.unit.level, m.why) for m in hue] == [
        ("Thành phố Huế", Vintage.OLD, Level.PROVINCE, "alias")]
    assert the("phuc sa").name == "Phường Phúc Xá"  # s/x spelling variant from the data set's keywords
    assert the("Nguyễn Trung Trực, Ba Đình").name == "Phường Trúc Bạch"  # a former name
    assert lineage.resolve("không có đơn vị này") == []
    assert lineage.resolve("   ") == []


def test_split_successors_both_partial_with_one_default(national_units):
    doi_can = the("Phường Đội Cấn, Quận Ba Đình, Hà Nội")
    edges = lineage.successors(doi_can)
    assert [(e.unit.name, e.unit.code, e.kind, e.is_default) for e in edges] == [
        ("Phường Ngọc Hà", "00008", SuccessionKind.PARTIAL, True),
        ("Phường Ba Đình", "00004", SuccessionKind.PARTIAL, False),
    ]
    assert edges[0].sources == ("vietnamadminunits==1.0.4",)
    assert {e.unit.code for e in lineage.current(doi_can, AFTER)} == {"00004", "00008"}
    assert all(e.kind == SuccessionKind.PARTIAL for e in lineage.current(doi_can, AFTER))
    assert lineage.default_current(doi_can, AFTER).code == "00008"


def test_current_is_the_unit_itself_while_it_is_valid(national_units):
    truc_bach = the("00004", at=BEFORE)
    (edge,) = lineage.current(truc_bach, BEFORE)
    assert edge.unit == truc_bach and edge.kind == SuccessionKind.WHOLE
    assert lineage.default_current(truc_bach, AFTER).name == "Phường Ba Đình"


def test_province_and_district_walks(national_units):
    ha_giang = the("Tỉnh Hà Giang")
    assert [(e.unit.name, e.kind) for e in lineage.current(ha_giang, AFTER)] == [
        ("Tỉnh Tuyên Quang", SuccessionKind.WHOLE)]
    district = the("Quận Ba Đình")
    walked = lineage.current(district, AFTER)
    assert len(walked) == 8 and {e.kind for e in walked} == {SuccessionKind.PARTIAL}
    assert sum(e.is_default for e in walked) == 1


def test_new_unit_walks_back_to_its_old_wards(national_units):
    ba_dinh = the("00004", at=AFTER)
    before = {(e.unit.name, e.kind) for e in lineage.current(ba_dinh, datetime.date(2024, 1, 1))}
    assert ("Phường Trúc Bạch", SuccessionKind.WHOLE) in before
    assert ("Phường Đội Cấn", SuccessionKind.PARTIAL) in before
    assert all(e.unit.level == Level.WARD for e in lineage.current(ba_dinh, datetime.date(2024, 1, 1)))
    assert {e.unit.level for e in lineage.predecessors(ba_dinh)} == {Level.WARD, Level.DISTRICT}
    assert {e.unit.level for e in lineage.predecessors(ba_dinh, level=Level.WARD)} == {Level.WARD}


def test_chain_and_plain_language(national_units):
    doi_can = the("Phường Đội Cấn, Quận Ba Đình, Hà Nội")
    story = lineage.chain(doi_can, AFTER)
    assert lineage.explain(story) == [
        "Một phần địa giới của Phường Đội Cấn nay thuộc Phường Ba Đình, phần còn lại thuộc Phường Ngọc Hà. "
        "Nơi kế thừa mặc định: Phường Ngọc Hà."]
    assert lineage.explain(story, "en") == [
        "Part of Phường Đội Cấn is now in Phường Ba Đình; the rest is in Phường Ngọc Hà. "
        "Default successor: Phường Ngọc Hà."]
    assert lineage.explain(lineage.chain(the("Tỉnh Hà Giang"))) == ["Toàn bộ Tỉnh Hà Giang nay thuộc Tỉnh Tuyên Quang."]
    # a ward that moved to another province is named with it
    viet_hoa = the("Phường Việt Hòa, Hải Dương")
    assert lineage.explain(lineage.chain(viet_hoa)) == [
        "Toàn bộ Phường Việt Hòa nay thuộc Phường Việt Hòa (Thành phố Hải Phòng)."]
    data = story.as_dict()
    assert data["unit"]["node_id"] == "VN/2025-06-30/ward/00022"
    assert [s["unit"]["code"] for s in data["successors"]] == ["00008", "00004"]


def test_lookup_lists_candidates_with_their_lineage(national_units):
    found = lineage.lookup("doi can", at=AFTER)
    assert found.ambiguous and len(found.entries) == 3
    assert found.entries[2].sentences == ("Toàn bộ Xã Đội Cấn nay thuộc Xã Quốc Khánh.",)
    data = found.as_dict()
    assert data["count"] == 3 and data["results"][0]["lineage"]["current"][0]["unit"]["code"] == "00008"
