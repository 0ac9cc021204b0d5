"""The canonical JSON that staging stores and checksums hash: its bytes must never depend on which serialiser
wrote them, or every staged record would look changed after an upgrade and be imported again."""

import datetime
import decimal
import json
import zoneinfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from hopnhat.core.provenance import canonical_json, checksum

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def standard(record) -> bytes:
    """What the standard library writes: the definition of the canonical form."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      cls=DjangoJSONEncoder).encode()


ROWS = [
    # an old HR row as a SQL source yields it, with its cursor timestamp
    {"id": 1042, "ho_ten": "Nguyễn Thị Thu Hà", "ngay_sinh": datetime.date(1984, 2, 29), "so_cccd": None,
     "ma_don_vi": "000.00.02.H22", "ngay_cap_nhat": datetime.datetime(2025, 5, 3, 4, 0)},  # noqa: DTZ001 — as read
    # microseconds (Django keeps milliseconds), an aware UTC time (Django writes Z), a Vietnamese offset
    {"a": datetime.datetime(2025, 7, 1, 8, 30, 15, 123456),  # noqa: DTZ001 — old databases hold naive times
     "b": datetime.datetime(2025, 7, 1, 1, 30, tzinfo=datetime.UTC),
     "c": datetime.datetime(2025, 7, 1, 8, 30, tzinfo=HANOI), "d": datetime.time(17, 45, 0, 500000),
     "e": datetime.time(7, 0)},
    # money columns read as DECIMAL, text with quotes, a tab and a control character, an empty string
    {"phi": decimal.Decimal("150000.00"), "le_phi": decimal.Decimal("-0.50"), "ghi_chu": 'Hồ sơ "gấp"\tđã nhận\x01',
     "trong": "", "dung": True, "sai": False},
]


@pytest.mark.parametrize("record", ROWS, ids=["hr-row", "times", "decimals-and-text"])
def test_fast_path_writes_the_standard_bytes(record):
    assert canonical_json(record) == standard(record)
    assert canonical_json(dict(reversed(record.items()))) == standard(record)  # key order does not matter


@pytest.mark.parametrize("record", [
    {"diem": 7.5, "ty_le": 1e21},               # floats: orjson spells exponents differently
    {"con": {"ho_ten": "Lò Văn Pó"}},           # nested values
    {"so_lon": 2**70},                           # beyond 64 bits
    {1: "khóa số"},                              # a non-text key
])
def test_values_orjson_would_spell_differently_take_the_standard_path(record):
    assert canonical_json(record) == standard(record)


def test_checksum_of_an_old_row_is_stable_across_versions():
    # What staging holds for this row, written by the standard library before the fast path existed: a change
    # here makes every staged record look changed, and a re-run would import them all again.
    assert canonical_json(ROWS[0]) == (b'{"ho_ten":"Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu H\xc3\xa0","id":1042,'
                                       b'"ma_don_vi":"000.00.02.H22","ngay_cap_nhat":"2025-05-03T04:00:00",'
                                       b'"ngay_sinh":"1984-02-29","so_cccd":null}')
    assert checksum(ROWS[0]) == "09beae53a206793a1f877223eb85acc42e3ce6e069a28944d404bbae29393ab4"
