"""Who may take which step: the one-door officer receives and returns, a named official processes what is assigned
to them, a leader approves — never the one who processed it while the agency keeps the four-eyes rule. The
worklist splits "của tôi" from the agency's queue and the dossier page offers only the buttons the user may press."""

import pytest
from django.core.exceptions import PermissionDenied

from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import actions, handover, worklist
from hopnhat.dossiers.models import Action, AgencyPolicy, Dossier, DossierEvent, Status
from hopnhat.org.models import Role

from .conftest import at, close_old_agencies
from .staffing import APPROVER, PROCESSOR, RECEIVER, client_for, official

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(hanoi):
    """UBND phường Ngọc Hà's one-door team, a processor of Giảng Võ and the city's unit administrator."""
    return {
        "desk": official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=(RECEIVER,)),
        "an": official("nguyen.van.an", "Nguyễn Văn An", hanoi.ngoc_ha, title="Công chức tư pháp - hộ tịch",
                       roles=(PROCESSOR,)),
        "binh": official("tran.thi.binh", "Trần Thị Bình", hanoi.ngoc_ha, title="Công chức địa chính",
                         roles=(PROCESSOR,)),
        "leader": official("le.quoc.cuong", "Lê Quốc Cường", hanoi.ngoc_ha, title="Phó Chủ tịch UBND phường",
                           roles=(APPROVER,)),
        "giang_vo": official("le.van.tam", "Lê Văn Tâm", hanoi.giang_vo, roles=(PROCESSOR,)),
        "city": official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN),
    }


@pytest.fixture
def dossier(team, hanoi, procedures):
    return actions.receive(team["desk"], agency=hanoi.ngoc_ha, procedure=procedures.birth,
                           applicant_name="Nguyễn Thị Lan", phone="0912345678")


def test_assign_names_the_official_and_the_history_says_who_assigned_whom(team, dossier):
    actions.assign(team["desk"], dossier, team["an"], note="Hồ sơ khai sinh")
    dossier.refresh_from_db()
    assert dossier.assignee == team["an"] and dossier.assigned_at is not None
    assert dossier.status == Status.PROCESSING
    event = dossier.events.get(action=Action.ASSIGN)
    assert (event.actor, event.assignee) == ("ngo.thi.mai", "nguyen.van.an")
    assert event.note == "Phân công cho Nguyễn Văn An, Công chức tư pháp - hộ tịch: Hồ sơ khai sinh"
    entry = AuditEntry.objects.get(action="dossiers.assign", object_pk=str(dossier.pk))
    assert entry.data["assignee"] == "nguyen.van.an"
    # the leader reassigns it; the history keeps both
    actions.assign(team["leader"], dossier, team["binh"])
    dossier.refresh_from_db()
    assert dossier.assignee == team["binh"]
    assert list(dossier.events.filter(action=Action.ASSIGN).values_list("actor", "assignee")) == [
        ("ngo.thi.mai", "nguyen.van.an"), ("le.quoc.cuong", "tran.thi.binh")]


def test_only_a_processor_of_the_handling_agency_can_be_assigned(team, dossier):
    for who in (team["leader"], team["giang_vo"], team["desk"]):
        with pytest.raises(actions.TransitionError, match="không phải chuyên viên thụ lý"):
            actions.assign(team["desk"], dossier, who)
    team["an"].is_active = False   # moved on: keeps the record, loses the role
    team["an"].save()
    with pytest.raises(actions.TransitionError, match="không phải chuyên viên thụ lý"):
        actions.assign(team["desk"], dossier, team["an"])
    assert [u.username for u in actions.processors_of(dossier.agency)] == ["tran.thi.binh"]
    assert dossier.events.count() == 1


def test_only_the_assignee_or_a_unit_admin_processes_it(team, dossier):
    with pytest.raises(PermissionDenied, match=f"hồ sơ {dossier.code}: hồ sơ chưa được phân công"):
        actions.process(team["an"], dossier)
    actions.assign(team["desk"], dossier, team["an"])
    with pytest.raises(PermissionDenied) as refused:
        actions.process(team["binh"], dossier, note="Tôi làm thay")
    assert str(refused.value).startswith(f"Không được “Thụ lý” hồ sơ {dossier.code}: hồ sơ được phân công cho "
                                         f"Nguyễn Văn An (nguyen.van.an)")
    with pytest.raises(PermissionDenied, match="Yêu cầu bổ sung"):
        actions.request_supplement(team["binh"], dossier, note="Bổ sung giấy chứng sinh")
    actions.request_supplement(team["an"], dossier, note="Bổ sung giấy chứng sinh")
    actions.process(team["an"], dossier, note="Đã đủ giấy tờ")
    actions.process(team["city"], dossier, note="Quản trị thành phố xử lý thay khi công chức nghỉ phép")
    assert list(dossier.events.values_list("action", "actor"))[-3:] == [
        ("request_supplement", "nguyen.van.an"), ("process", "nguyen.van.an"), ("process", "dinh.thi.lan")]


def test_each_role_takes_only_its_own_steps(team, dossier, hanoi, procedures):
    # the processor cannot receive, approve or return; the desk cannot approve; the leader cannot receive
    with pytest.raises(PermissionDenied, match="Không được “Tiếp nhận” hồ sơ tại “UBND phường Ngọc Hà”: cần vai trò"):
        actions.receive(team["an"], agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Lý Văn Tú")
    with pytest.raises(PermissionDenied, match="Tiếp nhận"):
        actions.receive(team["leader"], agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Lý Văn Tú")
    with pytest.raises(PermissionDenied, match=f"Không được “Phê duyệt” hồ sơ {dossier.code}: cần vai trò "
                                               f"Lãnh đạo phê duyệt hồ sơ hoặc Quản trị đơn vị"):
        actions.approve(team["desk"], dossier, result="Giấy khai sinh số 12")
    with pytest.raises(PermissionDenied, match="dossier_approver or unit_admin"):
        actions.approve(team["an"], dossier, result="Giấy khai sinh số 12")
    with pytest.raises(PermissionDenied, match="Dừng xử lý"):
        actions.reject(team["desk"], dossier, note="Không thuộc thẩm quyền")
    # a plain official of the ward sees the dossier but takes no step
    viewer = official("pham.van.duc", "Phạm Văn Đức", hanoi.ngoc_ha)
    assert worklist.allowed_actions(dossier, viewer) == []
    with pytest.raises(PermissionDenied, match="Chuyển xử lý"):
        actions.assign(viewer, dossier, team["an"])
    actions.assign(team["desk"], dossier, team["an"])
    actions.process(team["an"], dossier)
    actions.approve(team["leader"], dossier, result="Giấy khai sinh số 12")
    with pytest.raises(PermissionDenied, match="Trả kết quả"):
        actions.return_result(team["leader"], dossier)
    actions.return_result(team["desk"], dossier)
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    assert list(dossier.events.values_list("actor", flat=True)) == [
        "ngo.thi.mai", "ngo.thi.mai", "nguyen.van.an", "le.quoc.cuong", "ngo.thi.mai"]


def test_four_eyes_no_one_approves_what_they_processed(team, dossier, hanoi):
    both = official("vu.thi.hoa", "Vũ Thị Hòa", hanoi.ngoc_ha, roles=(PROCESSOR, APPROVER))
    actions.assign(team["desk"], dossier, both)
    actions.process(both, dossier, note="Đã thẩm định")
    with pytest.raises(PermissionDenied, match="người đã thụ lý không được tự phê duyệt"):
        actions.approve(both, dossier, result="Giấy khai sinh số 12")
    # the rule binds a unit administrator who processed it too
    actions.process(team["city"], dossier, note="Bổ sung thẩm định")
    with pytest.raises(PermissionDenied, match="nguyên tắc hai người"):
        actions.approve(team["city"], dossier, result="Giấy khai sinh số 12")
    assert Action.APPROVE not in worklist.allowed_actions(dossier, both)
    assert Action.APPROVE in worklist.allowed_actions(dossier, team["leader"])
    # a ward that turned the rule off lets the same person approve
    AgencyPolicy.objects.create(agency=hanoi.ngoc_ha, four_eyes=False)
    actions.approve(both, dossier, result="Giấy khai sinh số 12")
    dossier.refresh_from_db()
    assert dossier.status == Status.DONE


def test_the_policy_is_per_agency_and_on_by_default(team, hanoi):
    assert actions.four_eyes(hanoi.ngoc_ha) and actions.four_eyes(hanoi.giang_vo)
    AgencyPolicy.objects.create(agency=hanoi.giang_vo, four_eyes=False)
    assert actions.four_eyes(hanoi.ngoc_ha) and not actions.four_eyes(hanoi.giang_vo)


def test_worklist_mine_and_the_agency_queue(team, hanoi, procedures):
    def receive(name):
        return actions.receive(team["desk"], agency=hanoi.ngoc_ha, procedure=procedures.certify,
                               applicant_name=name, phone="0912345678")

    to_an, to_binh, waiting = receive("Hoàng Văn Nam"), receive("Bùi Thị Mai"), receive("Tạ Văn Bình")
    actions.assign(team["desk"], to_an, team["an"])
    actions.assign(team["desk"], to_binh, team["binh"])
    codes = lambda user, **kw: [d.code for d in worklist.worklist(user, **kw)]  # noqa: E731
    assert codes(team["an"], scope="mine") == [to_an.code]
    assert codes(team["binh"], scope="mine") == [to_binh.code]
    assert codes(team["an"], scope="queue") == codes(team["leader"], scope="queue") == [waiting.code]
    assert set(codes(team["an"])) == {to_an.code, to_binh.code, waiting.code}
    # through the page: the tabs count, and the assignee column says who
    page = client_for(team["an"]).get("/ho-so/can-bo/", {"scope": "mine"})
    assert [d.code for d, _ in page.context["rows"]] == [to_an.code]
    assert [(t["key"], t["count"]) for t in page.context["tabs"]] == [("", None), ("mine", 1), ("queue", 1)]
    html = client_for(team["leader"]).get("/ho-so/can-bo/").content.decode()
    assert "Nguyễn Văn An" in html and "Trần Thị Bình" in html and "Chờ phân công (1)" in html


def test_the_dossier_page_offers_only_what_the_user_may_press(team, dossier):
    def steps(user):
        return [s["action"] for s in client_for(user).get(f"/ho-so/can-bo/{dossier.pk}/").context["steps"]]

    assert steps(team["desk"]) == [Action.ASSIGN]
    assert steps(team["an"]) == []
    assert steps(team["leader"]) == [Action.ASSIGN, Action.APPROVE, Action.REJECT]
    page = client_for(team["desk"]).get(f"/ho-so/can-bo/{dossier.pk}/")
    assert page.context["steps"][0]["assignees"] == [(team["an"].pk, "Nguyễn Văn An (nguyen.van.an)"),
                                                     (team["binh"].pk, "Trần Thị Bình (tran.thi.binh)")]
    assert "Chưa phân công" in page.content.decode()
    # assigning through the form: an official of another ward is not a choice
    c = client_for(team["desk"])
    answer = c.post(f"/ho-so/can-bo/{dossier.pk}/assign/", {"assignee": team["giang_vo"].pk})
    assert answer.status_code == 400 and "Hãy chọn người thụ lý" in answer.content.decode()
    c.post(f"/ho-so/can-bo/{dossier.pk}/assign/", {"assignee": team["an"].pk, "note": "Khai sinh"})
    assert steps(team["an"]) == [Action.PROCESS, Action.REQUEST_SUPPLEMENT]
    assert steps(team["binh"]) == []
    # a forged post for a hidden button is refused with the same message, nothing recorded
    answer = client_for(team["binh"]).post(f"/ho-so/can-bo/{dossier.pk}/process/", {"note": "x"})
    assert answer.status_code == 403 and "được phân công cho Nguyễn Văn An" in answer.content.decode()
    assert DossierEvent.objects.filter(dossier=dossier).count() == 2


def test_hand_over_clears_the_assignee_for_the_successor(team, hanoi, procedures):
    d = actions.receive("system:test", agency=hanoi.truc_bach, procedure=procedures.land,
                        applicant_name="Trịnh Văn Khải", phone="0913246810",
                        address="Số 2 Hàng Bún, Phường Trúc Bạch", at=at(2025, 6, 25, 10))
    clerk = official("do.van.hung", "Đỗ Văn Hùng", hanoi.truc_bach, roles=(PROCESSOR,))
    actions.assign("system:test", d, clerk)
    close_old_agencies(hanoi)
    handover.run()
    d = Dossier.objects.get(pk=d.pk)
    assert d.agency == hanoi.ba_dinh and d.assignee is None and d.status == Status.PROCESSING
    assert d.events.last().action == Action.HANDOVER


def test_only_the_desk_sees_and_uses_reception(team, hanoi, procedures):
    for who in ("an", "leader"):
        c = client_for(team[who])
        assert "Tiếp nhận hồ sơ mới" not in c.get("/ho-so/can-bo/").content.decode()
        assert c.get("/ho-so/can-bo/tiep-nhan/").status_code == 403
    c = client_for(team["desk"])
    assert "Tiếp nhận hồ sơ mới" in c.get("/ho-so/can-bo/").content.decode()
    assert list(c.get("/ho-so/can-bo/tiep-nhan/").context["form"].fields["agency"].queryset) == [hanoi.ngoc_ha]
