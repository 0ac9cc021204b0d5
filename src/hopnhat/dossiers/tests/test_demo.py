"""The demo tells one story: the one-door team, the catalogue and the dossiers are in the merged Tuyên Quang
province (UBND phường Minh Xuân), at every stage, so the province's unit administrator sees them; and the Hà Nội
example of a split ward keeps its abolished district's dossier answering under its old code."""

import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from hopnhat.dossiers import dashboard, demo, lookup, worklist
from hopnhat.dossiers.models import Action, Dossier, Status
from hopnhat.org import demo as core_demo
from hopnhat.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(hanoi, tmp_path):
    core_demo.load_demo(io.StringIO())
    with override_settings(VAR_DIR=tmp_path):
        first = demo.load_demo(io.StringIO())
        second = demo.load_demo(io.StringIO())
    return first, second


def test_demo_loads_once_and_answers_the_old_code(loaded):
    first, second = loaded
    assert first["dossiers"] == second["dossiers"] == 6 + len(demo.FRESH)
    assert first["received_now"] == len(demo.FRESH) and second["received_now"] == 0
    assert all(r["balanced"] for r in first["runs"].values())
    assert first["handed_over"] == 4 and second["handed_over"] == 0 and second["agencies_closed"] == 0
    found = lookup.public_lookup(first["try"]["code"], first["try"]["phone_last4"])
    assert found["agency"] == "UBND phường Ba Đình" and found["receiving_agency"] == "UBND quận Ba Đình"
    assert found["timeline"][-1]["action"] == "handover"
    # it waits on the applicant: the notice says what to bring (the old system's request), not the hand-over
    assert found["supplement"]["note"] == "Bổ sung bản sao hợp đồng chuyển nhượng"
    # the dossier the import quarantined answers that it is being transferred, with whom to call (issue 12)
    waiting = first["try_transferring"]
    notice = lookup.public_answer(waiting["code"], waiting["phone_last4"])
    assert notice["transferring"] and notice["contact"]["name"] == "UBND phường Ngọc Hà"
    assert notice["contact"]["phone"]


def test_demo_team_and_dossiers_are_in_the_merged_province(loaded):
    first, _ = loaded
    assert {row["agency"] for row in first["team"]} == {"UBND phường Minh Xuân"}
    users = {row["role"]: User.objects.get(username=row["username"]) for row in first["team"]}
    desk, official, leader = (users[r] for r in (Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR,
                                                  Role.DOSSIER_APPROVER))
    ward = Dossier.objects.filter(agency__code=demo.WARD)
    assert ward.count() == len(demo.FRESH) and all(d.procedure.code.endswith(".H60") for d in ward)
    assert {d.applicant_name for d in worklist.worklist(official, scope="mine")} == {
        "Phạm Quang Huy", "Lương Thị Nga", "Hoàng Văn Páo", "Ma Thị Thủy"}
    assert [d.applicant_name for d in worklist.worklist(desk, scope="queue")] == ["Trần Thị Thu Hường"]
    submitted = ward.get(applicant_name="Lương Thị Nga")
    assert worklist.allowed_actions(submitted, leader) == [Action.ASSIGN, Action.APPROVE, Action.REJECT]
    assert worklist.allowed_actions(submitted, official) == []
    # the province's unit administrator sees the ward's dossiers, and the dashboard counts them
    province_admin = User.objects.get(username="quantri.tuyenquang")
    assert set(worklist.worklist(province_admin, status="all")) >= set(ward)
    waiting = ward.get(applicant_name="Hoàng Văn Páo")
    assert waiting.status == Status.SUPPLEMENT and not waiting.is_overdue(timezone.localdate()
                                                                           + datetime.timedelta(days=365))
    assert ward.get(applicant_name="Ma Thị Thủy").is_overdue()
    total = dashboard.counts_by_agency(province_admin)["total"]
    assert total["open_overdue"] >= 1 and total["finished_on_time"] >= 1
    assert first["try_supplement"]["code"] == waiting.code
    assert lookup.public_lookup(waiting.code, "5004")["supplement"]["note"].startswith("Bổ sung bản sao")
