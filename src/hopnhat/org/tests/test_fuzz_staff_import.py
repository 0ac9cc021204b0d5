"""Hostile input, continuously (issue 13): the staff-list import (`org.people` through the consolidation engine,
from an old unit's CSV list) on generated cells. Every record gets exactly one outcome (loaded, merged,
quarantined with its reason, filtered) and the run balances; none fails the run or crashes the importer."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import RunStatus, StagedRecord
from hopnhat.consolidation.tests.legacy_hr import make_units_and_agencies
from hopnhat.core import fuzzing

pytestmark = pytest.mark.django_db

HEADER = ["ma_nv", "ho_ten", "ngay_sinh", "so_cccd", "email", "dien_thoai", "ma_co_quan", "chuc_vu"]
text = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters=',"\r\n'),
               max_size=30)
row = st.tuples(
    st.integers(1, 40).map(str), st.one_of(text, st.just("Nguyễn Văn An")),
    st.one_of(text, st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.just("0000-00-00"), st.just("30/02/1990")),
    st.one_of(text, st.from_regex(r"\A0\d{11}\Z"), st.from_regex(r"\A\d{9}\Z")),
    st.one_of(text, st.emails()), text, st.sampled_from(["000.00.02.H22", "000.00.05.H22", "000.00.02.H60", "X", ""]),
    text)


@pytest.fixture
def org_units(db):
    return make_units_and_agencies()


@settings(max_examples=max(fuzzing.settings().max_examples // 3, 5))
@given(rows=st.lists(row, min_size=1, max_size=6))
def test_staff_list_cells(org_units, tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("hr") / "can_bo.csv"
    path.write_text("\n".join([",".join(HEADER), *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    system = f"hr-fuzz-{abs(hash(path)) % 10**8}"
    mapping = Mapping.from_dict({
        "system": system, "system_type": "hr", "stream": "people", "importer": "org.people",
        "source": {"kind": "csv", "path": str(path), "key": "ma_nv"},
        "pii": ["so_cccd", {"dien_thoai": "hash"}],
        "fields": {"full_name": {"from": "ho_ten", "required": True}, "birth_date": {"from": "ngay_sinh",
                   "type": "date"}, "national_id_hash": "so_cccd", "email": "email", "phone": "dien_thoai",
                   "agency_code": "ma_co_quan", "position": "chuc_vu"},
    })
    run = run_mapping(mapping, actor="system:fuzz")
    assert run.status != RunStatus.FAILED, run.error
    if not run.balanced:
        # Two imbalances are asked for (issue 12, item 1) and may come out of generated cells: a title whose
        # agency is unknown or empty is reported as lost, and a cell that reads like undecoded legacy text ("A÷" is
        # TCVN3 surface text for a Vietnamese letter) is reported as garbled. Anything else unbalanced is a defect.
        from hopnhat.consolidation.reconciliation import field_ok

        broken = {name: check for name, check in (run.field_checks or {}).items() if not field_ok(check)}
        assert broken, run.totals
        for name, check in broken.items():
            explained_by_garbling = (check.get("garbled") and not check.get("mismatched")
                                     and not check.get("unaccounted") and check.get("checksums_equal", True))
            assert name == "position" or explained_by_garbling, (name, check)
    staged = StagedRecord.objects.filter(system=system)
    assert staged.count() == len({r[0] for r in rows})
    assert not staged.filter(outcome="").exists()
