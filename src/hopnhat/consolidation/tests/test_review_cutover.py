"""The duplicate review queue (functions, staff page, CLI) and the cutover state machine."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from hopnhat.consolidation import cutover, review, selectors
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import ReviewItem, StagedRecord
from hopnhat.core.models import AuditEntry
from hopnhat.core.provenance import sources_of
from hopnhat.org.models import Person, Role, RoleAssignment

from .legacy_hr import tuyenquang_mapping, tuyenquang_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_provinces(legacy_hr, org, tmp_path):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    book = tuyenquang_workbook(tmp_path / "can_bo_tuyen_quang.xlsx")
    run_mapping(Mapping.from_dict(tuyenquang_mapping(book)), actor="system:test")
    return ReviewItem.objects.get()


def test_approving_a_merge_keeps_every_source_and_balances(both_provinces):
    item = both_provinces
    keep, other = item.left, item.right
    review.decide(item, "merge", "tran.thi.binh")

    assert not Person.objects.filter(pk=other.pk).exists()
    keep.refresh_from_db()
    assert keep.email == "thang.bd@hagiang.gov.vn"
    assert {(p.source_system, p.source_key) for p in sources_of(keep)} == {("hr-hagiang", "9"),
                                                                         ("hr-tuyenquang", "TQ-002")}
    moved = StagedRecord.objects.get(system="hr-tuyenquang", key="TQ-002")
    assert moved.outcome == "merged" and moved.target_pk == str(keep.pk) and f"#{item.pk}" in moved.reason
    assert keep.memberships.count() == 2
    assert selectors.system_totals("hr-tuyenquang")["balanced"] is True
    assert AuditEntry.objects.filter(action="consolidation.review.merge", actor="tran.thi.binh").exists()
    with pytest.raises(review.ReviewError, match="đã được quyết định"):
        review.decide(item, "separate", "tran.thi.binh")


def test_keeping_separate_changes_no_record(both_provinces):
    review.decide(both_provinces, "separate", "tran.thi.binh")
    assert Person.objects.filter(full_name="Bùi Đức Thắng").count() == 2
    assert ReviewItem.objects.get().status == "separate"


def test_review_page_is_for_administrators_of_the_agency(both_provinces, client, org):
    users = get_user_model().objects
    official = users.create_user("can.bo", password="mat-khau-dai-1")
    RoleAssignment.objects.create(user=official, role=Role.OFFICIAL, agency=org["snv_tq"])
    admin = users.create_user("quan.tri", password="mat-khau-dai-2")
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=org["snv_tq"])
    other_admin = users.create_user("quan.tri.khac", password="mat-khau-dai-3")
    RoleAssignment.objects.create(user=other_admin, role=Role.UNIT_ADMIN, agency=org["stc_hg"])
    url = reverse("consolidation:review")

    assert client.get(url).status_code == 302  # to sign-in
    client.force_login(official)
    assert client.get(url).status_code == 403
    client.force_login(other_admin)
    assert "Bùi Đức Thắng" not in client.get(url).content.decode()
    assert client.post(reverse("consolidation:review-decide", args=[both_provinces.pk]),
                       {"decision": "merge"}).status_code == 404
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "Bùi Đức Thắng" in page and "name_key+birth_date" in page
    response = client.post(reverse("consolidation:review-decide", args=[both_provinces.pk]),
                           {"decision": "merge"})
    assert response.status_code == 302
    assert ReviewItem.objects.get().status == "merged"
    assert Person.objects.filter(full_name="Bùi Đức Thắng").count() == 1


def test_review_cli_lists_and_decides(both_provinces):
    out = StringIO()
    call_command("consolidate", "review", "list", "--json", stdout=out)
    pending = json.loads(out.getvalue())["pending"]
    assert [p["id"] for p in pending] == [both_provinces.pk]
    out = StringIO()
    call_command("consolidate", "review", "decide", str(both_provinces.pk), "separate", "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "separate"


def test_cutover_walks_its_steps_calls_hooks_and_refuses_illegal_ones(legacy_hr, org):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    calls = []
    cutover.register_cutover_hook("hr", on_switch=lambda s: calls.append(("switch", s)),
                                  on_route_back=lambda s: calls.append(("back", s)))

    with pytest.raises(cutover.CutoverError, match="not-started.*pre-sync"):
        cutover.step("hr-hagiang", "switch", "lanh.dao")
    with pytest.raises(cutover.CutoverError, match="không có"):
        cutover.step("hr-hagiang", "jump", "lanh.dao")
    cutover.step("hr-hagiang", "pre-sync", "lanh.dao")
    # The old system is still live between pre-sync and freeze.
    with legacy_hr.connect() as conn, conn.cursor() as cur:
        legacy_hr.insert(cur, (12, "Sầm Thị Nhung", "1993-03-03", "002193004444", None, None, "STC-HG",
                               "Chuyên viên", "2025-06-20 07:00:00"))
    cutover.step("hr-hagiang", "freeze", "lanh.dao")
    result = cutover.step("hr-hagiang", "final-sync", "lanh.dao")
    assert result["runs"][0]["totals"]["new"] == 1
    assert Person.objects.filter(full_name="Sầm Thị Nhung").exists()
    cutover.step("hr-hagiang", "verify", "lanh.dao")
    assert calls == []
    cutover.step("hr-hagiang", "switch", "lanh.dao")
    assert calls == [("switch", "hr-hagiang")] and selectors.cutover_state("hr-hagiang") == "switch"
    cutover.step("hr-hagiang", "monitor", "lanh.dao")
    cutover.step("hr-hagiang", "route-back", "lanh.dao")
    assert calls[-1] == ("back", "hr-hagiang") and selectors.cutover_state("hr-hagiang") == "route-back"
    steps = list(AuditEntry.objects.filter(action__startswith="consolidation.cutover.").values_list("action",
                                                                                                    flat=True))
    assert steps == [f"consolidation.cutover.{s}" for s in
                     ("pre-sync", "freeze", "final-sync", "verify", "switch", "monitor", "route-back")]


def test_verify_refuses_when_reconciliation_does_not_balance(legacy_hr, org):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    for name in ("pre-sync", "freeze", "final-sync"):
        cutover.step("hr-hagiang", name, "lanh.dao")
    Person.objects.filter(full_name="Lò Thị Dung").delete()  # a loaded record lost behind the engine's back
    with pytest.raises(cutover.CutoverError, match="không cân đối"):
        cutover.step("hr-hagiang", "verify", "lanh.dao")
    assert selectors.cutover_state("hr-hagiang") == "final-sync"
    totals = selectors.system_totals("hr-hagiang")
    assert totals["balanced"] is False and totals["loaded"] == 4


def test_cli_run_status_and_reconcile(legacy_hr, org, tmp_path):
    path = tmp_path / "hr-hagiang.yaml"
    import yaml

    path.write_text(yaml.safe_dump(legacy_hr.mapping(), allow_unicode=True), encoding="utf-8")
    out = StringIO()
    call_command("consolidate", "run", str(path), "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["balanced"] is True and answer["totals"]["outcomes"]["quarantined"] == 6
    out = StringIO()
    call_command("consolidate", "status", "--json", stdout=out)
    assert json.loads(out.getvalue())["systems"][0]["cutover"] == "not-started"
    Person.objects.filter(full_name="Lò Thị Dung").delete()
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("consolidate", "reconcile", str(answer["run"]), "--json", stdout=out)
    assert exit_.value.code == 3
    report = json.loads(out.getvalue())
    assert report["balanced"] is False and report["cumulative"]["missing_targets"][0]["key"] == "10"
