"""Issue 19: the unit look-up tolerates a typo ("doi cna" → Đội Cấn), with the search's typo machinery
(hopnhat.core.spelling) against the unit graph's names."""

import pytest
from django.urls import reverse

from hopnhat.core import spelling
from hopnhat.org import lineage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_spelling_machinery():
    assert "can" in spelling.edits1("cna") and spelling.damerau("cna", "can") == 1
    assert spelling.neighbours("cna", {"can": 5, "cua": 9, "xyz": 1}) == ["cua", "can"]   # then by frequency
    keys = {"doi can"}
    assert spelling.phrase_corrections(["doi", "cna"], {"doi": 1, "can": 3, "cua": 9}, keys.__contains__) == [
        "doi can"]


@pytest.mark.parametrize("typed", ["doi cna", "Đội Cnấ", "doi caan", "phuong doi cna", "doi cna, ba dinh"])
def test_a_typo_finds_the_unit(national_units, typed):
    found = lineage.lookup(typed)
    names = {e.match.unit.short_name for e in found.entries}
    assert names == {"Đội Cấn"} and found.corrected is not None, typed
    if "ba dinh" in typed:
        assert len(found.entries) == 1 and found.corrected == "Đội Cấn, ba dinh"


def test_a_correct_name_is_not_corrected_and_nonsense_stays_unfound(national_units):
    assert lineage.lookup("doi can").corrected is None
    found = lineage.lookup("qqqq zzzz")
    assert found.entries == () and found.corrected is None


def test_page_and_api_say_what_was_looked_up(client, national_units):
    html = client.get(reverse("org:unit-lookup"), {"q": "doi cna"}).content.decode()
    assert "Không có đơn vị tên “doi cna”; kết quả cho “Đội Cấn”." in html
    assert "Có 3 đơn vị khớp “doi cna” — hãy chọn một" in html
    data = client.get(reverse("org:lineage-api"), {"q": "doi cna"}).json()
    assert data["corrected"] == "Đội Cấn" and data["count"] == 3
