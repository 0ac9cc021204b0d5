"""Old place names that many units share ("Phường 1") are narrowed by the rest of the query or by the facet."""

import datetime

import pytest

from hopnhat.org.models import AdminUnit, Level, Vintage
from hopnhat.portal.search.engine import search
from hopnhat.portal.search.indexing import index_document
from hopnhat.portal.search.query import parse

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _old(name: str, district: str) -> AdminUnit:
    return AdminUnit.objects.get(vintage=Vintage.OLD, level=Level.WARD, name=name, parent__name=district,
                                 parent__province__name="Thành phố Hồ Chí Minh")


def _place(parsed, text):
    return next(g for g in parsed.groups if g.kind == "place" and g.text == text)


def test_an_ambiguous_ward_is_narrowed_by_the_district_in_the_query(national_graph):
    ward_q3, ward_q5 = _old("Phường 1", "Quận 3"), _old("Phường 1", "Quận 5")
    alone = _place(parse("khai sinh phường 1"), "phuong 1")
    assert {ward_q3, ward_q5} <= set(alone.units)  # nothing to narrow by: every Phường 1 of the country
    assert len({u for u in alone.units if u.name == "Phường 1"}) > 20

    narrowed = _place(parse("khai sinh Phường 1 Quận 3"), "phuong 1")
    assert ward_q3 in narrowed.units and ward_q5 not in narrowed.units
    assert {u for u in narrowed.units if u.vintage == Vintage.OLD} == {ward_q3}
    assert all(u.vintage == Vintage.NEW for u in set(narrowed.units) - {ward_q3})  # where it lives on today
    # Without diacritics, and with the province instead of the district: the wards of Hồ Chí Minh City only.
    by_city = _place(parse("khai sinh phuong 1 thanh pho ho chi minh"), "phuong 1")
    da_lat = AdminUnit.objects.get(vintage=Vintage.OLD, level=Level.WARD, name="Phường 1",
                                   parent__name="Thành phố Đà Lạt")
    assert ward_q3 in by_city.units and ward_q5 in by_city.units and da_lat not in by_city.units
    assert da_lat in alone.units


def test_an_ambiguous_ward_is_narrowed_by_the_unit_facet(national_graph):
    ward_q3, ward_q5 = _old("Phường 1", "Quận 3"), _old("Phường 1", "Quận 5")
    narrowed = _place(parse("khai sinh phường 1", within={ward_q5.parent_id}), "phuong 1")
    assert ward_q5 in narrowed.units and ward_q3 not in narrowed.units
    # A facet that says nothing about the place leaves every reading.
    unrelated = AdminUnit.objects.get(vintage=Vintage.OLD, level=Level.DISTRICT, name="Huyện Gia Lâm")
    assert ward_q3 in _place(parse("khai sinh phường 1", within={unrelated.pk}), "phuong 1").units


def test_search_reads_the_narrowed_place(national_graph):
    ward_q3, ward_q5 = _old("Phường 1", "Quận 3"), _old("Phường 1", "Quận 5")
    for key, ward in (("q3", ward_q3), ("q5", ward_q5)):
        index_document(source_key=f"p1-{key}", title=f"Đăng ký khai sinh tại phường 1, {ward.parent.name.lower()}",
                       url=f"/tin/p1-{key}/", body="Hướng dẫn đăng ký khai sinh cho trẻ em.", origin_unit=ward,
                       doc_type="procedure", date=datetime.date(2024, 5, 2))
    results = search("đăng ký khai sinh phường 1 quận 3")
    assert [h.url for h in results.hits if not h.related] == ["/tin/p1-q3/"]
    understood = results.as_dict()["understood"]
    place = next(g for g in understood if g["text"] == "phuong 1")
    assert ward_q3.node_id in place["units"] and ward_q5.node_id not in place["units"]
    # The unit facet narrows the place the same way, and filters the hits.
    results = search("đăng ký khai sinh phường 1", facets={"unit": [ward_q5.pk]})
    assert [h.url for h in results.hits] == ["/tin/p1-q5/"]
    place = next(g for g in results.parsed.groups if g.kind == "place")
    assert ward_q5 in place.units and ward_q3 not in place.units
