"""The demo: two old systems merged, the abolished district's dossier answering under its old code."""

import io

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from hopnhat.dossiers import demo, lookup, worklist
from hopnhat.dossiers.models import Action, Dossier
from hopnhat.org.models import Role

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_answers_the_old_code(hanoi, tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        first = demo.load_demo(io.StringIO())
        second = demo.load_demo(io.StringIO())
    assert first["dossiers"] == second["dossiers"] == 9
    assert first["received_now"] == 3 and second["received_now"] == 0
    assert all(r["balanced"] for r in first["runs"].values())
    assert first["handed_over"] == 4 and second["handed_over"] == 0 and second["agencies_closed"] == 0
    found = lookup.public_lookup(first["try"]["code"], first["try"]["phone_last4"])
    assert found["agency"] == "UBND phường Ba Đình" and found["receiving_agency"] == "UBND quận Ba Đình"
    assert found["timeline"][-1]["action"] == "handover"
    # the dossier the import quarantined answers that it is being transferred, with whom to call (issue 12)
    waiting = first["try_transferring"]
    notice = lookup.public_answer(waiting["code"], waiting["phone_last4"])
    assert notice["transferring"] and notice["contact"]["name"] == "UBND phường Ngọc Hà"
    assert notice["contact"]["phone"]


def test_demo_one_door_team_has_work_in_each_queue(hanoi, tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        result = demo.load_demo(io.StringIO())
    users = {row["role"]: User.objects.get(username=row["username"]) for row in result["team"]}
    desk, official, leader = (users[r] for r in (Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR,
                                                  Role.DOSSIER_APPROVER))
    assert [d.applicant_name for d in worklist.worklist(official, scope="mine")] == ["Lương Thị Nga", "Phạm Quang Huy"]
    queue = worklist.worklist(desk, scope="queue")
    assert "Trần Thị Thu Hường" in {d.applicant_name for d in queue} and all(d.agency == hanoi.ba_dinh for d in queue)
    processed = Dossier.objects.get(applicant_name="Lương Thị Nga")
    assert worklist.allowed_actions(processed, leader) == [Action.ASSIGN, Action.APPROVE, Action.REJECT]
    assert Action.APPROVE not in worklist.allowed_actions(processed, official)
