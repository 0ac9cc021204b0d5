"""The historic unit page's lead sentence comes from the lineage graph."""

from django.test import Client

from hopnhat.portal import tree
from hopnhat.portal.history import historic_title, successor_statement


def test_township_merged_into_a_commune(units):
    statement = successor_statement(units["tt_vi_xuyen"])
    assert statement["vi"] == "UBND thị trấn Vị Xuyên (cũ) — nay thuộc xã Vị Xuyên (tỉnh Tuyên Quang)."
    assert statement["en"] == "Thị trấn Vị Xuyên (former) — now part of xã Vị Xuyên (tỉnh Tuyên Quang)."
    assert statement["successors"] == [units["xa_vi_xuyen"]]


def test_province_merged(units):
    assert successor_statement(units["ha_giang"])["vi"] == "UBND tỉnh Hà Giang (cũ) — nay thuộc tỉnh Tuyên Quang."


def test_split_commune_names_every_successor_default_first(units):
    assert successor_statement(units["yen_dinh"])["vi"] == (
        "UBND xã Yên Định (cũ) — nay được chia về xã Ngọc Đường, xã Minh Ngọc (tỉnh Tuyên Quang).")


def test_abolished_district(units):
    statement = successor_statement(units["vi_xuyen"])["vi"]
    assert statement.startswith("UBND huyện Vị Xuyên (cũ) — cấp huyện kết thúc hoạt động từ ngày 01/07/2025; "
                                "địa bàn nay thuộc xã Vị Xuyên, ")      # the default successor first
    assert "phường Hà Giang 2" in statement and statement.endswith(" (tỉnh Tuyên Quang).")


def test_unit_without_successor_says_so(units):
    from hopnhat.org.models import UnitSuccession

    UnitSuccession.objects.filter(predecessor=units["tt_vi_xuyen"]).delete()
    assert "chưa có dữ liệu đơn vị kế thừa" in successor_statement(units["tt_vi_xuyen"])["vi"]


def test_historic_page_shows_the_statement(units):
    page = tree.historic_page(units["tt_vi_xuyen"])
    assert page.title == historic_title(units["tt_vi_xuyen"]) == "UBND thị trấn Vị Xuyên (cũ)"
    assert tree.historic_page(units["tt_vi_xuyen"]).pk == page.pk      # get-or-create
    html = Client().get(page.url).content.decode()
    assert "nay thuộc xã Vị Xuyên (tỉnh Tuyên Quang)" in html and "Chưa có tin bài" in html
