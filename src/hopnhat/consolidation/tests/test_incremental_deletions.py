"""Issue 12 item 3: an incremental run finds rows deleted at the source with a key-only scan, at the interval the
mapping asks for (`deletions: {scan_every: …}`); without it only --full-scan does (as documented)."""

import datetime

import pytest
from django.utils import timezone

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MigrationRun, StagedRecord

pytestmark = pytest.mark.django_db


def _deleted():
    return set(StagedRecord.objects.filter(system="hr-hagiang", source_deleted=True).values_list("key", flat=True))


def _run(legacy_hr, deletions=None):
    mapping = legacy_hr.mapping()
    if deletions is not None:
        mapping["deletions"] = deletions
    return run_mapping(Mapping.from_dict(mapping), actor="system:test")


def test_an_incremental_run_finds_rows_deleted_at_the_source(legacy_hr, org):
    first = _run(legacy_hr, {"scan_every": 1})
    assert first.full_scan and first.deletion_scan
    legacy_hr.execute("DELETE FROM nhan_su WHERE id IN (2, 10)")   # gone from the old HR system
    legacy_hr.execute("UPDATE nhan_su SET dien_thoai = '0987654321', ngay_cap_nhat = '2025-06-01' WHERE id = 1")

    run = _run(legacy_hr, {"scan_every": 1})
    assert not run.full_scan and run.deletion_scan
    assert run.totals["changed"] == 1 and run.totals["deleted"] == 2
    assert run.totals["key_scanned"] == 8
    assert _deleted() == {"2", "10"}
    assert run.balanced is True
    # the staged rows are kept, marked, with the run that saw them go
    assert StagedRecord.objects.get(system="hr-hagiang", key="10").detail["deleted_in_run"] == run.pk


def test_without_deletions_in_the_mapping_only_a_full_scan_sees_them(legacy_hr, org):
    _run(legacy_hr)
    legacy_hr.execute("DELETE FROM nhan_su WHERE id = 10")
    assert _run(legacy_hr).totals["deleted"] == 0 and _deleted() == set()
    full = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test", full_scan=True)
    assert full.totals["deleted"] == 1 and _deleted() == {"10"}


def test_the_key_scan_runs_every_n_runs_or_after_the_interval(legacy_hr, org):
    _run(legacy_hr, {"scan_every": 2})                 # the first run reads everything
    legacy_hr.execute("DELETE FROM nhan_su WHERE id = 10")
    assert not _run(legacy_hr, {"scan_every": 2}).deletion_scan
    assert _deleted() == set()
    third = _run(legacy_hr, {"scan_every": 2})
    assert third.deletion_scan and _deleted() == {"10"}

    legacy_hr.execute("DELETE FROM nhan_su WHERE id = 9")
    assert not _run(legacy_hr, {"scan_every": "12h"}).deletion_scan
    MigrationRun.objects.filter(pk=third.pk).update(started_at=timezone.now() - datetime.timedelta(hours=13))
    assert _run(legacy_hr, {"scan_every": "12h"}).deletion_scan and _deleted() == {"9", "10"}


def test_a_bad_interval_is_refused_naming_the_option():
    with pytest.raises(ValueError, match="scan_every"):
        Mapping.from_dict({"system": "hr-hagiang", "importer": "org.people", "source": {"kind": "csv"},
                           "deletions": {"scan_every": "weekly"}})
