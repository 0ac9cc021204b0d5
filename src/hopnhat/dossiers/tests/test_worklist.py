"""The staff worklist and dossier page: only the agencies in the user's scope (another agency's dossier is 404),
filters and due-date order, every step through the views (CSRF, Vietnamese errors), reception at the counter, and
the timeline across the merger with the old codes."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hopnhat.dossiers import actions, handover, worklist
from hopnhat.dossiers.models import Action, AgencyPolicy, Dossier, DossierAlias, DossierEvent, Status
from hopnhat.org.models import Role

from .conftest import at, close_old_agencies
from .staffing import ALL_STEPS, APPROVER, PASSWORD, client_for, official

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(hanoi):
    return {
        "ngoc_ha": official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa",
                            roles=ALL_STEPS),
        "giang_vo": official("le.van.tam", "Lê Văn Tâm", hanoi.giang_vo, title="Công chức tư pháp - hộ tịch"),
        "ba_dinh": official("ha.minh.tuan", "Hà Minh Tuấn", hanoi.ba_dinh, title="Phó Chủ tịch",
                            roles=(APPROVER,)),
        "city": official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN),
    }


def _receive(agency, procedure, name, when=None, phone="0912345678"):
    return actions.receive("system:test", agency=agency, procedure=procedure, applicant_name=name, phone=phone,
                           at=when)


@pytest.fixture
def desk(hanoi, procedures):
    """Dossiers at Ngọc Hà and one at Giảng Võ: one overdue (received before Tết 2026), the others received at
    the counter today, due in 1 and 3 working days."""
    p = procedures
    return {
        "late_land": _receive(hanoi.ngoc_ha, p.land, "Đỗ Minh Quân", at(2026, 2, 12, 15, 30)),
        "birth": _receive(hanoi.ngoc_ha, p.birth, "Nguyễn Thị Lan"),
        "certify": _receive(hanoi.ngoc_ha, p.certify, "Vũ Thị Hoa"),
        "other": _receive(hanoi.giang_vo, p.certify, "Hoàng Văn Nam"),
    }


def test_worklist_shows_own_agency_sorted_by_due_date_with_overdue(staff, desk):
    late = desk["late_land"]
    # 10 working days from Thu 12/2/2026 skip Tết (14–22/2): 13/2, then 23/2 … 5/3
    assert late.due_date == datetime.date(2026, 3, 5)
    page = client_for(staff["ngoc_ha"]).get("/ho-so/can-bo/")
    html = page.content.decode()
    assert page.status_code == 200
    codes = [d.code for d, _ in page.context["rows"]]
    assert codes == [late.code, desk["certify"].code, desk["birth"].code]
    assert desk["other"].code not in html and "Hoàng Văn Nam" not in html
    assert [flag for _, flag in page.context["rows"]] == [True, False, False]
    assert "Quá hạn" in html and "Đỗ Minh Quân" in html


def test_filters_status_overdue_procedure(staff, desk, procedures):
    user = staff["ngoc_ha"]
    actions.approve(user, desk["certify"], result="Đã chứng thực 2 bản")
    c = client_for(user)

    def codes(**params):
        return {d.code for d, _ in c.get("/ho-so/can-bo/", params).context["rows"]}

    assert codes(overdue="on") == {desk["late_land"].code}
    assert codes(procedure=procedures.birth.code) == {desk["birth"].code}
    assert codes(status=str(Status.DONE)) == {desk["certify"].code}
    # decided but not yet returned is still work to do; "all" adds nothing closed here
    assert codes() == codes(status="all") == {desk["late_land"].code, desk["birth"].code, desk["certify"].code}
    bad = c.get("/ho-so/can-bo/", {"status": "99"})
    assert bad.status_code == 200 and "Bộ lọc không hợp lệ" in bad.content.decode()
    # the same through the plain function
    assert list(worklist.worklist(user, overdue=True, today=datetime.date(2026, 3, 5))) == []
    assert [d.code for d in worklist.worklist(user, overdue=True, today=datetime.date(2026, 3, 6))] == [
        desk["late_land"].code]


def test_other_agency_official_gets_404_and_citizens_403(staff, desk):
    other = desk["other"]
    c = client_for(staff["ngoc_ha"])
    assert c.get(f"/ho-so/can-bo/{other.pk}/").status_code == 404
    assert c.get(f"/ho-so/can-bo/{other.pk}/phieu.pdf").status_code == 404
    assert c.post(f"/ho-so/can-bo/{other.pk}/process/", {"note": "x"}).status_code == 404
    assert Dossier.objects.get(pk=other.pk).status == Status.RECEIVED
    # the city's unit administrator sees every ward below it
    assert client_for(staff["city"]).get(f"/ho-so/can-bo/{other.pk}/").status_code == 200
    User.objects.create_user("cong.dan", password=PASSWORD)
    citizen = Client()
    citizen.login(username="cong.dan", password=PASSWORD)
    assert citizen.get("/ho-so/can-bo/").status_code == 403
    assert Client().get("/ho-so/can-bo/").status_code == 302   # to the sign-in page


def test_each_step_through_the_views(staff, desk, hanoi):
    # one official wears every hat at this ward, which has turned the four-eyes rule off
    AgencyPolicy.objects.create(agency=hanoi.ngoc_ha, four_eyes=False)
    d, c = desk["birth"], client_for(staff["ngoc_ha"])
    page = c.get(f"/ho-so/can-bo/{d.pk}/")
    # processing waits for the dossier to be assigned
    assert [s["action"] for s in page.context["steps"]] == [Action.ASSIGN, Action.APPROVE, Action.REJECT]

    def step(action, **data):
        return c.post(f"/ho-so/can-bo/{d.pk}/{action}/", data, follow=True)

    answer = step("request_supplement")   # the applicant must be told what to bring
    assert answer.status_code == 400 and "Nội dung là bắt buộc" in answer.content.decode()
    answer = step("return_result")        # not decided yet
    assert answer.status_code == 409
    assert "không thể “Trả kết quả" in answer.content.decode()
    step("assign", note="Chuyển công chức tư pháp - hộ tịch", assignee=staff["ngoc_ha"].pk)
    step("request_supplement", note="Bổ sung giấy chứng sinh bản chính")
    step("process", note="Đã nhận đủ giấy tờ")
    assert "Kết quả giải quyết là bắt buộc" in step("approve").content.decode()
    step("approve", result="Giấy khai sinh số 45/2026")
    final = step("return_result")
    assert "đã “Trả kết quả”" in final.content.decode()
    d.refresh_from_db()
    assert d.status == Status.RETURNED and d.result == "Giấy khai sinh số 45/2026"
    events = list(DossierEvent.objects.filter(dossier=d).values_list("action", "actor", "note"))
    assert events[1:] == [
        ("assign", "ngo.thi.mai", "Phân công cho Ngô Thị Mai, Công chức một cửa: Chuyển công chức tư pháp - hộ tịch"),
        ("request_supplement", "ngo.thi.mai", "Bổ sung giấy chứng sinh bản chính"),
        ("process", "ngo.thi.mai", "Đã nhận đủ giấy tờ"),
        ("approve", "ngo.thi.mai", ""), ("return_result", "ngo.thi.mai", "")]
    assert c.get(f"/ho-so/can-bo/{d.pk}/").context["steps"] == []
    assert c.post(f"/ho-so/can-bo/{d.pk}/handover/").status_code == 404   # not a button


def test_reject_and_refuse_labels(staff, desk, hanoi, procedures):
    c = client_for(staff["ngoc_ha"])
    d = desk["certify"]
    c.post(f"/ho-so/can-bo/{d.pk}/reject/", {"note": "Giấy tờ tẩy xóa, không chứng thực được"})
    d.refresh_from_db()
    assert d.status == Status.STOPPED and d.finished_at is not None
    submitted = Dossier.objects.create(
        code="HNDVC-2026-004512", procedure=procedures.certify, applicant_name="Bùi Thị Mai", channel=2,
        receiving_agency=hanoi.ngoc_ha, agency=hanoi.ngoc_ha, status=Status.SUBMITTED, received_at=timezone.now())
    page = c.get(f"/ho-so/can-bo/{submitted.pk}/")
    assert [s["label"][0] for s in page.context["steps"]] == ["Tiếp nhận", "Từ chối tiếp nhận"]
    c.post(f"/ho-so/can-bo/{submitted.pk}/reject/", {"note": "Không thuộc thẩm quyền"})
    submitted.refresh_from_db()
    assert submitted.status == Status.REFUSED


def test_steps_need_the_csrf_token(staff, desk):
    user = staff["ngoc_ha"]
    c = Client(enforce_csrf_checks=True)
    c.login(username=user.username, password=PASSWORD)
    d = desk["birth"]
    actions.assign("system:test", d, user)
    assert c.post(f"/ho-so/can-bo/{d.pk}/process/", {"note": "x"}).status_code == 403
    page = c.get(f"/ho-so/can-bo/{d.pk}/")
    token = page.context["csrf_token"]
    assert c.post(f"/ho-so/can-bo/{d.pk}/process/", {"note": "x", "csrfmiddlewaretoken": str(token)}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.PROCESSING


def test_receive_at_the_counter_then_the_slip(staff, hanoi, procedures):
    c = client_for(staff["ngoc_ha"])
    form = c.get("/ho-so/can-bo/tiep-nhan/", {"procedure": procedures.birth.code})
    assert "Tờ khai đăng ký khai sinh; 1" in form.content.decode()
    assert form.context["form"].initial["agency"] == hanoi.ngoc_ha.pk   # the only agency in scope
    answer = c.post("/ho-so/can-bo/tiep-nhan/", {
        "agency": hanoi.ngoc_ha.pk, "procedure": procedures.birth.code, "applicant_name": "Trần Thị Thu Hường",
        "phone": "0912 345 678", "id_number": "001190012345", "address": "Số 3 Liễu Giai, Phường Ngọc Hà",
        "channel": "1", "papers": "Tờ khai đăng ký khai sinh; 1\nGiấy chứng sinh; 1"}, follow=True)
    d = Dossier.objects.get(applicant_name="Trần Thị Thu Hường")
    html = answer.content.decode()
    assert answer.redirect_chain[-1][0] == f"/ho-so/can-bo/{d.pk}/?moi=1"
    assert f"Đã tiếp nhận hồ sơ {d.code}" in html and f"/ho-so/can-bo/{d.pk}/phieu.pdf" in html
    assert d.events.get().attachments == [{"name": "Tờ khai đăng ký khai sinh", "copies": 1},
                                          {"name": "Giấy chứng sinh", "copies": 1}]
    assert "001190012345" not in str(d.__dict__)


def test_receive_errors_are_in_vietnamese_and_name_the_field(staff, hanoi, procedures):
    c = client_for(staff["ngoc_ha"])
    base = {"agency": hanoi.ngoc_ha.pk, "procedure": procedures.birth.code, "applicant_name": "Lý Văn Tú",
            "channel": "1"}
    answer = c.post("/ho-so/can-bo/tiep-nhan/", {**base, "phone": "12", "papers": "Tờ khai; hai"})
    html = answer.content.decode()
    assert answer.status_code == 200 and not Dossier.objects.exists()
    assert "Số điện thoại phải có 9–11 chữ số" in html and "Dòng 1: số bản “hai” phải là số" in html
    # an agency outside the user's scope is not even a choice
    answer = c.post("/ho-so/can-bo/tiep-nhan/", {**base, "phone": "0912345678", "agency": hanoi.giang_vo.pk})
    assert "agency" in answer.context["form"].errors and not Dossier.objects.exists()


def test_dossier_page_shows_the_timeline_across_the_merger(staff, hanoi, procedures):
    """A land dossier of the abolished Quận Ba Đình, known in the old one-door system by a local code, handed over
    to UBND phường Ba Đình on 1/7/2025: its new holder sees every step and the old codes."""
    d = actions.receive("system:test", agency=hanoi.district, procedure=procedures.land,
                        applicant_name="Trịnh Văn Khải", phone="0913246810",
                        address="Số 2 Hàng Bún, Phường Trúc Bạch, Quận Ba Đình, Hà Nội", at=at(2025, 6, 25, 10))
    DossierAlias.objects.create(code="QBD-2025-00871", dossier=d, source_system="motcua-badinh")
    actions.process("system:test", d, note="Thẩm định hồ sơ")
    close_old_agencies(hanoi)
    handover.run()
    page = client_for(staff["ba_dinh"]).get(f"/ho-so/can-bo/{d.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "QBD-2025-00871" in html and "UBND quận Ba Đình" in html and "UBND phường Ba Đình" in html
    assert [e["action"] for e in page.context["info"]["timeline"]] == ["receive", "process", "handover"]
    assert "quá hạn" in html   # due 9/7/2025, the hand-over did not move it
    # the successor's leader assigns it anew: nobody there had it
    assert page.context["steps"][0]["action"] == Action.ASSIGN and Dossier.objects.get(pk=d.pk).assignee is None
    # the ward that got none of it sees nothing
    assert client_for(staff["giang_vo"]).get(f"/ho-so/can-bo/{d.pk}/").status_code == 404


def test_allowed_actions_follow_status_and_role(staff, desk):
    d = desk["birth"]
    assert worklist.allowed_actions(d, staff["giang_vo"]) == []
    d.status = Status.DONE
    assert worklist.allowed_actions(d, staff["ngoc_ha"]) == [Action.RETURN_RESULT]
    d.status = Status.SUPPLEMENT
    assert worklist.allowed_actions(d, staff["city"]) == [Action.ASSIGN, Action.PROCESS, Action.REJECT]
