"""A source that repeats keys inside one batch (old staff lists do: a person typed twice, edited in between) gets
one staged record per key, holding the last version read; found by the staff-list fuzz test, where the third
repeat of one key followed the second repeat of another and the engine tried to insert a key it had just written."""

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import RunStatus, StagedRecord
from hopnhat.consolidation.tests.legacy_hr import make_units_and_agencies

pytestmark = pytest.mark.django_db

ROWS = [  # key, name, agency: key 1 three times, key 2 twice, interleaved
    ("1", "Nguyễn Văn An", "000.00.02.H22"),
    ("1", "", "000.00.02.H22"),
    ("2", "Trần Thị Bình", "000.00.02.H22"),
    ("1", "", "000.00.02.H22"),
    ("2", "Trần Thị Bình", "000.00.02.H22"),
    ("3", "Lê Văn Cường", "000.00.05.H22"),
    ("2", "Trần Thị Bình Minh", "000.00.02.H22"),
]


def test_interleaved_repeats_of_keys_stage_one_record_per_key_with_the_last_version(tmp_path):
    make_units_and_agencies()
    path = tmp_path / "can_bo.csv"
    path.write_text("ma_nv,ho_ten,ma_co_quan\n" + "\n".join(",".join(r) for r in ROWS) + "\n", encoding="utf-8")
    mapping = Mapping.from_dict({
        "system": "hr-lap-khoa", "system_type": "hr", "stream": "people", "importer": "org.people",
        "source": {"kind": "csv", "path": str(path), "key": "ma_nv"},
        "fields": {"full_name": {"from": "ho_ten", "required": True}, "agency_code": "ma_co_quan"},
    })
    run = run_mapping(mapping, actor="system:test")
    assert run.status == RunStatus.FINISHED, run.error
    staged = {s.key: s for s in StagedRecord.objects.filter(system="hr-lap-khoa")}
    assert sorted(staged) == ["1", "2", "3"]
    assert staged["1"].outcome == "quarantined"  # its last version has no name
    assert staged["2"].raw["ho_ten"] == "Trần Thị Bình Minh"
    assert run.totals["read"] == len(ROWS)
