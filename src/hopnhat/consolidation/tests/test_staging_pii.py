"""Issue 13, finding 7: staging follows the mapping's `pii:` list (an ID number hashed before anything, a phone
number hashed, an address dropped) and a switched-off system's raw records are purged after the retention
period, keeping keys, checksums and outcomes so that reconciliation still holds."""

import datetime
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from hopnhat.consolidation import cutover, staging
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import Cutover, StagedRecord
from hopnhat.consolidation.reconciliation import reconcile_run
from hopnhat.core import pii
from hopnhat.core.models import AuditEntry, Provenance
from hopnhat.core.provenance import canonical_json
from hopnhat.org.models import Person

pytestmark = pytest.mark.django_db

HEADER = "ma_nv,ho_ten,so_cccd,dien_thoai,dia_chi,email,ma_co_quan\n"
ROWS = [
    "1,Nguyễn Thị Hoa,002190001111,0912 345 678,Số 5 ngõ 12 phố Trần Phú,hoa.nt@hagiang.gov.vn,000.00.02.H22\n",
    "2,Hoàng Văn Minh,002191002222,0987.654.321,Thôn Nà Lầu xã Phương Thiện,minh.hv@hagiang.gov.vn,000.00.05.H22\n",
]
CLEAR = ["0912 345 678", "912345678", "0987.654.321", "Trần Phú", "Nà Lầu", "002190001111", "002191002222"]


def _mapping(path) -> Mapping:
    return Mapping.from_dict({
        "system": "hr-hagiang-csv", "system_type": "hr", "stream": "people", "importer": "org.people",
        "source": {"kind": "csv", "path": str(path), "key": "ma_nv"},
        "pii": ["so_cccd", {"dien_thoai": "hash"}, {"dia_chi": "drop"}],
        "fields": {"full_name": "ho_ten", "national_id_hash": "so_cccd", "phone": "dien_thoai", "email": "email",
                   "agency_code": "ma_co_quan"},
    })


@pytest.fixture
def hr(org, tmp_path):
    path = tmp_path / "nhan_su.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    mapping = _mapping(path)
    return path, mapping, run_mapping(mapping, actor="system:test")


def test_staging_keeps_a_keyed_hash_of_the_phone_and_nothing_of_the_address(hr):
    path, mapping, run = hr
    assert run.balanced
    # The importer still got the phone number in clear: the staff directory needs it.
    assert Person.objects.get(full_name="Nguyễn Thị Hoa").phone == "0912 345 678"
    staged = StagedRecord.objects.get(system="hr-hagiang-csv", key="1")
    assert staged.raw["dien_thoai"] == pii.keyed_hash("0912345678")
    assert "dia_chi" not in staged.raw
    assert staged.raw["so_cccd"] == pii.keyed_hash("002190001111")
    assert staged.raw["ho_ten"] == "Nguyễn Thị Hoa"
    stored = json.dumps(list(StagedRecord.objects.values_list("raw", flat=True)), ensure_ascii=False)
    assert not [text for text in CLEAR if text in stored]


def test_the_checksum_is_keyed_and_still_sees_a_changed_address(hr, settings):
    path, mapping, _ = hr
    staged = StagedRecord.objects.get(system="hr-hagiang-csv", key="1")
    # Not the plain sha256 of any text someone holding the database could rebuild and try phone numbers on.
    assert staged.checksum != hashlib.sha256(canonical_json(staged.raw)).hexdigest()
    assert Provenance.objects.filter(source_system="hr-hagiang-csv", checksum=staged.checksum).count() == 1
    path.write_text(HEADER + ROWS[0].replace("Số 5 ngõ 12", "Số 7 ngõ 12") + ROWS[1], encoding="utf-8")
    again = run_mapping(mapping, actor="system:test")
    assert (again.totals["changed"], again.totals["unchanged"]) == (1, 1) and again.balanced
    third = run_mapping(mapping, actor="system:test")
    assert (third.totals["changed"], third.totals["unchanged"]) == (0, 2)


def test_mapping_pii_entries_are_checked_and_round_trip():
    with pytest.raises(ValueError, match="hash hoặc drop"):
        Mapping.from_dict({"system": "x-y", "importer": "org.people", "source": {"kind": "csv", "path": "a.csv"},
                           "pii": [{"dien_thoai": "encrypt"}]})
    mapping = _mapping("a.csv")
    assert (mapping.pii, mapping.pii_staging) == (["so_cccd"], {"dien_thoai": "hash", "dia_chi": "drop"})
    assert Mapping.from_dict(mapping.as_dict()).pii_staging == mapping.pii_staging


def _switch_off(system: str) -> None:
    for step in ("pre-sync", "freeze", "final-sync", "verify", "switch", "monitor", "done"):
        cutover.step(system, step, "lanh.dao")


def test_purge_keeps_keys_checksums_and_outcomes_after_the_retention_period(hr, settings):
    _, _, run = hr
    settings.HOPNHAT_STAGING_RETENTION_DAYS = 30
    _switch_off("hr-hagiang-csv")
    assert staging.purge_staging(actor="system:test")["records"] == 0  # switched off today: kept
    before = list(StagedRecord.objects.order_by("key").values_list("key", "checksum", "outcome", "target_pk"))
    Cutover.objects.filter(system="hr-hagiang-csv").update(updated_at=timezone.now() - datetime.timedelta(days=31))

    out = io.StringIO()
    call_command("consolidate", "purge-staging", "--dry-run", "--json", stdout=out)
    dry = json.loads(out.getvalue())
    assert dry["ok"] and dry["dry_run"] and dry["records"] == 2 and dry["retention_days"] == 30
    assert not StagedRecord.objects.filter(raw={}).exists()

    out = io.StringIO()
    call_command("consolidate", "purge-staging", "--json", "--actor", "nguyen.van.an", stdout=out)
    report = json.loads(out.getvalue())
    assert report["systems"] == [{"system": "hr-hagiang-csv", "switched_off": report["systems"][0]["switched_off"],
                                  "records": 2}]
    assert list(StagedRecord.objects.values_list("raw", flat=True)) == [{}, {}]
    assert list(StagedRecord.objects.order_by("key").values_list("key", "checksum", "outcome", "target_pk")) == before
    assert all(check["ok"] for check in reconcile_run(run)["checks"])
    entry = AuditEntry.objects.get(action="consolidation.staging.purge")
    assert entry.actor == "nguyen.van.an" and entry.data["records"] == 2
    assert staging.purge_staging(actor="system:test")["records"] == 0  # purged once


def test_a_system_not_switched_off_is_never_purged(hr, settings):
    settings.HOPNHAT_STAGING_RETENTION_DAYS = 0
    cutover.step("hr-hagiang-csv", "pre-sync", "lanh.dao")
    assert staging.purge_staging(actor="system:test") == {"dry_run": False, "retention_days": 0, "systems": [],
                                                          "records": 0}
    assert not StagedRecord.objects.filter(raw={}).exists()


def test_a_quarantined_record_rerun_from_staging_gets_its_phone_from_the_old_system_not_the_hash(org, tmp_path):
    """Staging keeps only the phone's keyed hash and nothing of the address: resolving a quarantined record
    (a value corrected, then engine.rerun_records) must still give the importer the values the old system holds,
    not the hash, and say so by name when the old system no longer holds the record."""
    from hopnhat.consolidation import quarantine

    path = tmp_path / "nhan_su.csv"
    bad = ROWS[1].replace("000.00.05.H22", "000.00.99.H22")  # an agency code nobody knows: quarantined
    path.write_text(HEADER + ROWS[0] + bad, encoding="utf-8")
    run = run_mapping(_mapping(path), actor="system:test")
    staged = StagedRecord.objects.get(system="hr-hagiang-csv", key="2")
    assert run.balanced and staged.outcome == "quarantined" and "dia_chi" not in staged.raw
    quarantine.correct_value(staged, "ma_co_quan", "000.00.05.H22", actor="nguyen.van.an",
                             note="Mã cơ quan gõ nhầm, theo quyết định thành lập")
    result = quarantine.rerun("hr-hagiang-csv", "people", ["2"], actor="nguyen.van.an")
    assert result["resolved"] == [{"key": "2", "outcome": "loaded"}] and result["balanced"]
    assert Person.objects.get(full_name="Hoàng Văn Minh").phone == "0987.654.321"
    staged.refresh_from_db()
    assert staged.raw["dien_thoai"] == pii.keyed_hash("0987654321") and "dia_chi" not in staged.raw

    # The old system no longer holds a record whose phone staging kept only as a hash: quarantined again with
    # the reason, never loaded with the hash as its phone.
    path.write_text(HEADER + ROWS[0] + bad.replace("2,Hoàng", "3,Hoàng"), encoding="utf-8")
    run_mapping(_mapping(path), actor="system:test")
    path.write_text(HEADER + ROWS[0], encoding="utf-8")
    third = StagedRecord.objects.get(system="hr-hagiang-csv", key="3")
    quarantine.correct_value(third, "ma_co_quan", "000.00.05.H22", actor="nguyen.van.an", note="Gõ nhầm mã")
    again = quarantine.rerun("hr-hagiang-csv", "people", ["3"], actor="nguyen.van.an")
    assert again["resolved"] == [] and "dien_thoai" in again["still"][0]["reason"]
    assert not Person.objects.filter(phone=pii.keyed_hash("0987654321")).exists()
