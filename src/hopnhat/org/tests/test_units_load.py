"""The national graph as loaded from vietnamadminunits 1.0.4: exact counts, real splits and merges, idempotence."""

import json

import pytest

from hopnhat.core.text import fold
from hopnhat.org import unit_data
from hopnhat.org.models import AdminUnit, Level, SuccessionKind, UnitAlias, UnitSuccession, Vintage
from hopnhat.org.units_load import load_national_units, national_counts

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

OLD, NEW = Vintage.OLD, Vintage.NEW


def unit(vintage, level, code):
    return AdminUnit.objects.get(vintage=vintage, level=level, code=code)


def successor_codes(u):
    return {(e.successor.code, e.kind, e.is_default) for e in UnitSuccession.objects.filter(predecessor=u)
            .select_related("successor")}


def test_national_counts_are_exact(national_units):
    counts = national_counts()
    assert counts["old"] == {"provinces": 63, "districts": 696, "wards": 10035}
    assert counts["new"] == {"provinces": 34, "wards": 3321}
    edges = counts["edges"]
    assert edges["ward->ward"] == 10597
    assert edges["ward->ward/partial"] == 1033
    assert edges["province->province"] == edges["province->province/whole"] == 63
    assert counts["old_wards_split"] == 471
    # every old unit went somewhere, and every new ward came from somewhere
    assert not AdminUnit.objects.filter(vintage=OLD, successor_edges__isnull=True).exists()
    assert not AdminUnit.objects.filter(vintage=NEW, predecessor_edges__isnull=True).exists()
    assert national_units["counts"]["old"]["wards"] == 10035


def test_units_carry_vintage_dates_names_parents_and_centroids(national_units):
    doi_can = unit(OLD, Level.WARD, "00022")
    assert (doi_can.name, doi_can.short_name, doi_can.unit_type) == ("Phường Đội Cấn", "Đội Cấn", "Phường")
    assert doi_can.path_names() == ["Phường Đội Cấn", "Quận Ba Đình", "Thành phố Hà Nội"]
    assert doi_can.province.code == "01" and doi_can.province.vintage == OLD
    assert str(doi_can.valid_to) == "2025-06-30" and doi_can.valid_from is None
    assert 21.0 < doi_can.latitude < 21.1 and 105.8 < doi_can.longitude < 105.9
    ba_dinh = unit(NEW, Level.WARD, "00004")
    assert ba_dinh.parent.name == "Thành phố Hà Nội" and ba_dinh.parent.vintage == NEW
    assert str(ba_dinh.valid_from) == "2025-07-01" and ba_dinh.valid_to is None
    hanoi = unit(NEW, Level.PROVINCE, "01")
    assert hanoi.province_id == hanoi.pk and hanoi.parent_id is None
    assert unit(OLD, Level.WARD, "00022").node_id == "VN/2025-06-30/ward/00022"


def test_data_traps_are_normalised(national_units):
    # "Thành Phố Bắc Kạn" in the data set: one casing for type words
    assert unit(OLD, Level.DISTRICT, "058").name == "Thành phố Bắc Kạn"
    # wardShort says "Yên Viên (Thị trấn)"; the short name is the name without its type word
    yen_vien = unit(OLD, Level.WARD, "00526")
    assert (yen_vien.name, yen_vien.short_name, yen_vien.unit_type) == ("Thị trấn Yên Viên", "Yên Viên", "Thị trấn")
    # wardType says Xã for Phường Việt Hòa: the name wins
    assert unit(NEW, Level.WARD, "10543").unit_type == "Phường"


def test_code_reuse_across_vintages(national_units):
    assert unit(OLD, Level.WARD, "00004").name == "Phường Trúc Bạch"
    assert unit(NEW, Level.WARD, "00004").name == "Phường Ba Đình"
    assert successor_codes(unit(OLD, Level.WARD, "00004")) == {("00004", SuccessionKind.WHOLE, True)}


def test_real_split_with_default(national_units):
    # Phường Đội Cấn (00022) was divided between Phường Ba Đình (00004) and Phường Ngọc Hà (00008)
    assert successor_codes(unit(OLD, Level.WARD, "00022")) == {
        ("00004", SuccessionKind.PARTIAL, False), ("00008", SuccessionKind.PARTIAL, True)}
    # Phường 4, Thành phố Tân An, Long An (27691): split too, and both parts stay in the new Tây Ninh
    assert {s.successor.province.name for s in UnitSuccession.objects.filter(
        predecessor=unit(OLD, Level.WARD, "27691"))} == {"Tỉnh Tây Ninh"}


def test_real_merge_keeps_every_predecessor(national_units):
    ba_dinh = unit(NEW, Level.WARD, "00004")
    olds = {(e.predecessor.name, e.kind) for e in UnitSuccession.objects.filter(
        successor=ba_dinh, predecessor__level=Level.WARD).select_related("predecessor")}
    assert ("Phường Trúc Bạch", SuccessionKind.WHOLE) in olds
    assert ("Phường Quán Thánh", SuccessionKind.WHOLE) in olds
    assert ("Phường Đội Cấn", SuccessionKind.PARTIAL) in olds


def test_province_edges_come_from_the_hierarchy(national_units):
    assert successor_codes(unit(OLD, Level.PROVINCE, "02")) == {("08", SuccessionKind.WHOLE, True)}  # Hà Giang
    assert successor_codes(unit(OLD, Level.PROVINCE, "80")) == {("80", SuccessionKind.WHOLE, True)}  # Long An
    # the official table's Long An ward filed under Tiền Giang must not make a Tiền Giang → Tây Ninh edge
    assert successor_codes(unit(OLD, Level.PROVINCE, "82")) == {("82", SuccessionKind.WHOLE, True)}
    edge = UnitSuccession.objects.get(predecessor=unit(OLD, Level.PROVINCE, "02"))
    assert "202/2025/QH15" in edge.legal_basis
    assert edge.sources == ["vietnamadminunits==1.0.4"]


def test_island_districts_become_special_zones(national_units):
    con_co = unit(OLD, Level.DISTRICT, "471")
    (edge,) = UnitSuccession.objects.filter(predecessor=con_co).select_related("successor")
    assert edge.successor.name == "Đặc khu Cồn Cỏ" and edge.kind == SuccessionKind.WHOLE
    assert UnitSuccession.objects.filter(predecessor__level=Level.DISTRICT, predecessor__children__isnull=True,
                                         successor__unit_type="Đặc khu").count() == 5


def test_district_edges_are_partial_when_the_district_was_spread(national_units):
    ba_dinh_district = unit(OLD, Level.DISTRICT, "001")
    edges = UnitSuccession.objects.filter(predecessor=ba_dinh_district)
    assert edges.count() == 8
    assert set(edges.values_list("kind", flat=True)) == {SuccessionKind.PARTIAL}
    assert edges.filter(is_default=True).count() == 1


def test_aliases_from_the_data_set_and_well_known_names(national_units):
    truc_bach = unit(OLD, Level.WARD, "00004")
    assert "nguyentrungtruc" in set(truc_bach.aliases.values_list("alias_key", flat=True))
    assert UnitAlias.objects.filter(unit=unit(OLD, Level.PROVINCE, "46"), alias_key="thua thien hue").exists()


def test_reload_changes_nothing_and_says_so(national_units):
    again = load_national_units()
    assert again["changed"] is False
    assert again["units"]["created"] == again["units"]["updated"] == 0
    assert again["edges"]["created"] == again["edges"]["updated"] == 0
    assert again["aliases"]["created"] == 0


def test_reload_repairs_a_changed_row_and_keeps_other_sources(national_units):
    AdminUnit.objects.filter(vintage=OLD, level=Level.WARD, code="00022").update(name="Phường Đội Cấn (sai)")
    edge = UnitSuccession.objects.get(predecessor__code="00022", successor__code="00008")
    edge.sources = ["nso_table"]
    edge.save()
    result = load_national_units()
    assert result["changed"] is True and result["units"]["updated"] == 1 and result["edges"]["updated"] == 1
    assert unit(OLD, Level.WARD, "00022").name == "Phường Đội Cấn"
    edge.refresh_from_db()
    assert edge.sources == ["nso_table", "vietnamadminunits==1.0.4"]


def test_data_is_read_in_place_from_the_installed_package():
    base = unit_data.package_dir()
    assert (base / "data" / "dataset.db").is_file()
    assert unit_data.source_label() == "vietnamadminunits==1.0.4"


def test_unknown_converter_key_names_file_and_key(tmp_path):
    bad = tmp_path / "converter_2025.json"
    bad.write_text(json.dumps({
        "DICT_PROVINCE": {},
        "DICT_PROVINCE_WARD_NO_DIVIDED": {"thanhphohanoi": {"phuongbadinh": ["thanhphohanoi_quanbadinh_phuongxyz"]}},
        "DICT_PROVINCE_WARD_DIVIDED": {},
    }), encoding="utf-8")
    new_keys = {("thanhphohanoi", "phuongbadinh"): (NEW, Level.WARD, "00004")}
    with pytest.raises(unit_data.UnitDataError) as err:
        unit_data.read_ward_edges(bad, {}, new_keys)
    assert str(bad) in str(err.value) and "thanhphohanoi_quanbadinh_phuongxyz" in str(err.value)


def test_a_name_without_type_word_is_refused_with_its_record():
    assert unit_data.split_type("Thành Phố Bắc Kạn", "x") == ("Thành phố", "Bắc Kạn")
    with pytest.raises(unit_data.UnitDataError, match="dataset.db:admin_units rowid 7"):
        unit_data.split_type("Bắc Kạn", "dataset.db:admin_units rowid 7")


@pytest.mark.parametrize("keyword", ["phuongphucsa", "quan09", "q9", "09", "Phường Phúc Xá", "tp.hcm", "hcm"])
def test_keyword_shortcut_agrees_with_fold(keyword):
    assert unit_data._fold_keyword(keyword) == fold(keyword)
