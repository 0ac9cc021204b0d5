"""Hà Giang's messy old HR database and Tuyên Quang's Excel list migrated into one staff register."""

import json

import pytest

from hopnhat.consolidation import reconciliation
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import ReviewItem, StagedRecord, SyncState
from hopnhat.core import pii
from hopnhat.core.models import AuditEntry, Provenance
from hopnhat.core.provenance import sources_of
from hopnhat.org.models import Membership, Person

from .legacy_hr import HAGIANG_BAD, HAGIANG_STAFF, tuyenquang_mapping, tuyenquang_workbook

pytestmark = pytest.mark.django_db


def _staged(system="hr-hagiang"):
    return {s.key: s for s in StagedRecord.objects.filter(system=system, stream="people")}


def test_legacy_hagiang_database_is_migrated_and_every_bad_row_quarantined_by_name(legacy_hr, org):
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")

    assert run.balanced is True
    assert run.totals["read"] == len(HAGIANG_STAFF) == run.totals["new"]
    staged = _staged()
    assert len(staged) == len(HAGIANG_STAFF)
    for pk, field in HAGIANG_BAD.items():
        record = staged[str(pk)]
        assert record.outcome == "quarantined", (pk, record.reason)
        assert f"khóa {pk}" in record.reason and "bảng nhan_su" in record.reason  # names the record
        assert (field if field != "cccd" else "so_cccd") in record.reason
    assert "0000-00-00" in staged["3"].reason and "2023-02-30" in staged["4"].reason
    assert "PHONG-DA-GIAI-THE" in staged["7"].reason and "mồ côi" in staged["7"].reason

    # TCVN3 bytes from the latin1 columns came out as Unicode NFC.
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")
    assert hung.national_id_hash == pii.keyed_hash("002078001234")
    membership = hung.memberships.get()
    assert membership.position.name == "Giám đốc"
    # Sở Nội vụ Hà Giang closed into Sở Nội vụ Tuyên Quang: the crosswalk follows it to today's agency.
    assert membership.agency == org["snv_tq"]
    assert Person.objects.filter(full_name="Lò Thị Dung").exists()
    assert staged["1"].raw["ho_ten"] == "Nguyễn Văn Hùng"
    # No ID number in clear anywhere in staging.
    assert "002078001234" not in json.dumps([s.raw for s in staged.values()])

    loaded = [s for s in staged.values() if s.outcome == "loaded"]
    assert len(loaded) == len(HAGIANG_STAFF) - len(HAGIANG_BAD)
    for record in loaded:
        assert Provenance.objects.filter(source_system="hr-hagiang", source_key=record.key,
                                         object_pk=record.target_pk).exists()
    assert run.field_checks["full_name"]["compared"] == len(loaded)
    assert run.field_checks["full_name"]["mismatched"] == 0
    assert run.field_checks["birth_date"]["checksums_equal"] is True


def test_people_of_both_old_provinces_merge_on_cccd_and_look_alikes_go_to_review(legacy_hr, org, tmp_path):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    book = tuyenquang_workbook(tmp_path / "can_bo_tuyen_quang.xlsx")
    run = run_mapping(Mapping.from_dict(tuyenquang_mapping(book)), actor="system:test")

    assert run.balanced is True
    staged = _staged("hr-tuyenquang")
    assert staged["TQ-001"].outcome == "merged"
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")  # one person, two sources
    assert staged["TQ-001"].target_pk == str(hung.pk)
    assert {(p.source_system, p.source_key) for p in sources_of(hung)} == {("hr-hagiang", "1"),
                                                                         ("hr-tuyenquang", "TQ-001")}
    assert hung.email == "hung.nv@hagiang.gov.vn"  # nothing overwritten by the merge
    # Both lists place him in today's Sở Nội vụ, with the title each old unit gave him.
    assert {(m.agency, m.position.name) for m in Membership.objects.filter(person=hung)} == {
        (org["snv_tq"], "Giám đốc"), (org["snv_tq"], "Phó Giám đốc")}

    # Same folded name and birth date but no ID to prove it: both kept, a person decides.
    assert Person.objects.filter(full_name="Bùi Đức Thắng").count() == 2
    item = ReviewItem.objects.get()
    assert item.kind == "name_key+birth_date" and item.status == "pending"
    assert item.left.full_name == item.right.full_name == "Bùi Đức Thắng"
    assert item.detail["source_key"] == "TQ-002"
    assert run.totals["reviews"] == 1


def test_rerun_is_idempotent_and_incremental_sync_sees_updates_inserts_and_deletions(legacy_hr, org):
    mapping = Mapping.from_dict(legacy_hr.mapping())
    first = run_mapping(mapping, actor="system:test")
    people, provenance = Person.objects.count(), Provenance.objects.count()

    again = run_mapping(mapping, actor="system:test")  # incremental from the last cursor, inclusive
    assert again.full_scan is False and again.cursor_from == first.cursor_to
    assert again.totals["new"] == again.totals["changed"] == 0
    assert again.totals["unchanged"] == 2  # the two rows at the boundary cursor value, read again and skipped
    assert (Person.objects.count(), Provenance.objects.count()) == (people, provenance)

    # The old system stays live: one row corrected, one added, one deleted.
    legacy_hr.execute("UPDATE nhan_su SET ngay_sinh = '1985-03-02', ngay_cap_nhat = '2025-06-01 07:00:00' "
                      "WHERE id = 4")
    with legacy_hr.connect() as conn, conn.cursor() as cur:
        legacy_hr.insert(cur, (11, "Giàng Seo Páo", "1991-08-08", "002091009999", None, None, "STC-HG",
                               "Chuyên viên", "2025-06-01 07:00:00"))
    legacy_hr.execute("DELETE FROM nhan_su WHERE id = 10")

    sync = run_mapping(mapping, actor="system:test")
    assert sync.balanced is True
    assert (sync.totals["new"], sync.totals["changed"], sync.totals["deleted"]) == (1, 1, 0)
    staged = _staged()
    assert staged["4"].outcome == "loaded"  # was quarantined for 2023-02-30, now fixed at the source
    assert Person.objects.get(full_name="Hoàng Văn Tùng").birth_date.isoformat() == "1985-03-02"
    assert staged["11"].outcome == "loaded"

    full = run_mapping(mapping, actor="system:test", full_scan=True)  # deletions need a full scan
    assert full.totals["deleted"] == 1 and full.totals["new"] == full.totals["changed"] == 0
    staged = _staged()
    assert staged["10"].source_deleted is True and staged["10"].outcome == "loaded"  # kept, never dropped
    assert Person.objects.filter(full_name="Lò Thị Dung").exists()
    assert SyncState.objects.get(system="hr-hagiang").scan_complete_run == full

    last = run_mapping(mapping, actor="system:test", full_scan=True)
    assert last.totals["unchanged"] == len(HAGIANG_STAFF) and last.totals["deleted"] == 0
    assert last.balanced is True
    assert reconciliation.reconcile_run(first)["balanced"] is True  # an old run still reconciles later


def test_equal_cursor_values_across_batch_edges_lose_nothing(legacy_hr, org):
    legacy_hr.execute("UPDATE nhan_su SET ngay_cap_nhat = '2025-05-01 08:00:00'")  # every row the same cursor
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping(batch_size=3)), actor="system:test")
    assert run.totals["read"] == run.totals["new"] == len(HAGIANG_STAFF)
    assert SyncState.objects.get(system="hr-hagiang").cursor.startswith("2025-05-01")
    legacy_hr.execute("UPDATE nhan_su SET email = 'dung.lt@hagiang.gov.vn' WHERE id = 10")
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping(batch_size=3)), actor="system:test")
    assert run.totals["changed"] == 1 and run.totals["unchanged"] == len(HAGIANG_STAFF) - 1
    assert Person.objects.get(full_name="Lò Thị Dung").email == "dung.lt@hagiang.gov.vn"


def test_dry_run_changes_nothing_but_reports(legacy_hr, org):
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test", dry_run=True)
    assert run.dry_run and run.totals["outcomes"]["quarantined"] == len(HAGIANG_BAD)
    assert not StagedRecord.objects.exists() and not Person.objects.exists()
    assert SyncState.objects.get(system="hr-hagiang").cursor is None
    assert not AuditEntry.objects.filter(action="consolidation.run").exists()


def test_report_is_self_contained_html_with_svg_charts_and_json(legacy_hr, org):
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    html = (reconciliation.report_dir() / f"run-{run.pk}.html").read_text(encoding="utf-8")
    data = json.loads((reconciliation.report_dir() / f"run-{run.pk}.json").read_text(encoding="utf-8"))
    assert html.count("<svg") == 3 and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # six records wait in quarantine: the report says so, never "no record lost" (issue 12 item 5)
    assert "Mọi bản ghi đều có kết quả; 6 bản ghi chờ quyết định" in html and "bảng nhan_su, khóa 7" in html
    # the file a run writes speaks Vietnamese only (the English verdict is in the JSON and the page in English mode)
    assert "wait for a decision" not in html and "không mất bản ghi nào" not in html
    assert data["verdict_en"] == "every record accounted for; 6 wait for a decision"
    # the bars and the cumulative table: Vietnamese first
    assert "Cách ly" in html and '<th>Đã nạp</th><td class="num">' in html
    assert data["balanced"] is True and data["cumulative"]["outcomes"]["quarantined"] == len(HAGIANG_BAD)
    assert all(check["ok"] for check in data["checks"])
