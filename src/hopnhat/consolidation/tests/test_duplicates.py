"""The look-alike rule (same folded name and birth date, no ID number to prove it) across two old provinces'
staff lists, when the second list spells the name another way: the pair goes to the review queue, never merged;
the same folded name with another birth date is someone else."""

import datetime
import unicodedata

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import ReviewItem, StagedRecord
from hopnhat.org.models import Person

from .legacy_hr import tuyenquang_mapping, tuyenquang_workbook

pytestmark = pytest.mark.django_db

THANG = "Bùi Đức Thắng"  # Hà Giang's row 9: born 15/01/1980, no CCCD
BORN = datetime.date(1980, 1, 15)
SPELLINGS = {
    "no-diacritics": "Bui Duc Thang",                            # typed on a keyboard without Vietnamese input
    "nfd": unicodedata.normalize("NFD", THANG),                  # decomposed, as macOS writes it
    "upper-case": "BÙI ĐỨC THẮNG",
    "lower-case-spaced": " bùi  đức thắng ",
    "eth-look-alike": "Bùi \u00d0ức Thắng",                       # Ð (U+00D0) for Đ, as old converters left it
}
# The batch path (default rules) and the record-by-record path (any other rule set) decide alike.
RULES = {"batch": None, "per-record": {"exact": [["national_id_hash"], ["email"]],
                                       "fuzzy": [["name_key", "birth_date"]]}}


def _tuyenquang(tmp_path, rows, duplicates=None):
    book = tuyenquang_workbook(tmp_path / "can_bo_tuyen_quang.xlsx", rows)
    mapping = tuyenquang_mapping(book)
    if duplicates:
        mapping["duplicates"] = duplicates
    return run_mapping(Mapping.from_dict(mapping), actor="system:test")


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_look_alike_spelled_another_way_is_queued_for_review_not_merged(legacy_hr, org, tmp_path, spelling,
                                                                         rules):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    hagiang = Person.objects.get(full_name=THANG)

    run = _tuyenquang(tmp_path, [("TQ-002", SPELLINGS[spelling], BORN, None, None, "000.00.02.H60",
                                  "Chuyên viên")], RULES[rules])

    assert run.balanced is True and run.totals["reviews"] == 1
    staged = StagedRecord.objects.get(system="hr-tuyenquang", key="TQ-002")
    assert staged.outcome == "loaded"  # a person of its own, not merged into Hà Giang's
    tuyenquang = Person.objects.get(pk=staged.target_pk)
    assert tuyenquang.pk != hagiang.pk
    assert tuyenquang.full_name == unicodedata.normalize("NFC", SPELLINGS[spelling]).strip().replace("  ", " ")
    assert tuyenquang.name_key == hagiang.name_key == "bui duc thang"
    item = ReviewItem.objects.get()
    assert (item.kind, item.status, item.score) == ("name_key+birth_date", "pending", 0.9)
    assert (item.left, item.right) == (hagiang, tuyenquang)  # the one already there on the left
    assert item.detail["source_key"] == "TQ-002" and item.agency == org["snv_tq"]
    hagiang.refresh_from_db()
    assert hagiang.full_name == THANG and hagiang.memberships.count() == 1  # nothing moved onto it


@pytest.mark.parametrize("rules", RULES)
def test_the_same_folded_name_born_on_another_day_is_not_queued(legacy_hr, org, tmp_path, rules):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")

    run = _tuyenquang(tmp_path, [
        ("TQ-005", "Bui Duc Thang", datetime.date(1986, 9, 2), None, None, "000.00.02.H60", "Chuyên viên"),
        ("TQ-006", "BÙI ĐỨC THẮNG", datetime.date(1991, 1, 15), None, None, "000.00.02.H60", "Chuyên viên"),
    ], RULES[rules])

    assert run.balanced is True and run.totals["outcomes"]["loaded"] == 2 and run.totals["reviews"] == 0
    assert not ReviewItem.objects.exists()
    assert Person.objects.filter(name_key="bui duc thang").count() == 3
