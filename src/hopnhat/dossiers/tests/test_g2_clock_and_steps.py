"""Issue 19, dossier pages: the processing clock pauses while the dossier waits on the applicant (one rule for the
look-up, the staff pages and the dashboard), the on-time rate counts overdue dossiers, Thụ lý is recorded once and
trình duyệt follows it, the approver's note is not the result, and the history reads as people's names and posts."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import actions, clock, dashboard, lookup, worklist
from hopnhat.dossiers.models import Action, Status
from hopnhat.org.models import Role

from .conftest import at
from .staffing import APPROVER, PROCESSOR, RECEIVER, client_for, official

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def team(hanoi):
    return {
        "desk": official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=(RECEIVER,)),
        "an": official("nguyen.van.an", "Nguyễn Văn An", hanoi.ngoc_ha, title="Công chức tư pháp - hộ tịch",
                       roles=(PROCESSOR,)),
        "leader": official("le.quoc.cuong", "Lê Quốc Cường", hanoi.ngoc_ha, title="Phó Chủ tịch UBND phường",
                           roles=(APPROVER,)),
        "city": official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN),
    }


@pytest.fixture
def moment(monkeypatch):
    """Set the clock the steps are recorded at: moment(at(2026, 3, 9))."""
    def set_to(when):
        monkeypatch.setattr(timezone, "now", lambda: when)
    return set_to


def _received(team, hanoi, procedures, when):
    # the land procedure: 10 working days
    d = actions.receive(team["desk"], agency=hanoi.ngoc_ha, procedure=procedures.land, applicant_name="Đỗ Minh Quân",
                        phone="0987001122", at=when)
    actions.assign(team["desk"], d, team["an"])
    d.refresh_from_db()
    return d


def test_clock_pauses_while_the_applicant_supplements_and_the_due_date_moves(team, hanoi, procedures, moment):
    cache.clear()
    moment(at(2026, 3, 2, 9))                       # Monday
    d = _received(team, hanoi, procedures, at(2026, 3, 2, 9))
    assert d.due_date == D(2026, 3, 16)
    moment(at(2026, 3, 4, 10))                      # Wednesday: the official asks for a missing paper
    actions.request_supplement(team["an"], d, note="Bổ sung bản sao sổ đỏ có chứng thực")
    d.refresh_from_db()
    # a year later it still waits on the applicant: not overdue anywhere, no days counted
    long_after = D(2027, 3, 4)
    assert not d.is_overdue(long_after) and not clock.is_overdue(d, long_after)
    assert clock.working_days_left(d, long_after) is None
    assert not worklist.worklist(team["city"], overdue=True, today=long_after).exists()
    assert dashboard.counts_by_agency(team["city"], today=long_after)["total"]["open_overdue"] == 0
    # the public look-up says what to bring, since when, in Vietnamese dates
    page = Client().post("/ho-so/tra-cuu/", {"code": d.code, "phone": "1122"})
    html = page.content.decode()
    assert "Bổ sung bản sao sổ đỏ có chứng thực" in html and "04/03/2026 10:00" in html
    assert "tạm dừng tính hạn" in html and "02/03/2026 09:00" in html and "2026-03-02T" not in html.split(
        "<time")[0]
    assert lookup.public_lookup(d.code, "1122")["supplement"]["note"] == "Bổ sung bản sao sổ đỏ có chứng thực"
    # answered the next Monday: Thu, Fri, Mon = 3 working days paused; the due date moves by 3
    moment(at(2026, 3, 9, 8, 30))
    actions.process(team["an"], d, note="Đã nhận bổ sung")
    d.refresh_from_db()
    assert d.due_date == D(2026, 3, 19) and d.status == Status.PROCESSING
    entry = AuditEntry.objects.filter(action="dossiers.process", object_pk=str(d.pk)).latest("pk")
    assert entry.data["paused_working_days"] == 3
    assert (entry.data["due_date_from"], entry.data["due_date_to"]) == ("2026-03-16", "2026-03-19")
    # running again: late the day after the moved due date, and the dashboard says so
    assert not d.is_overdue(D(2026, 3, 19)) and d.is_overdue(D(2026, 3, 20))
    assert dashboard.counts_by_agency(team["city"], today=D(2026, 3, 20))["total"]["open_overdue"] == 1
    assert "supplement" not in lookup.public_lookup(d.code, "1122")


def test_on_time_rate_counts_dossiers_already_overdue(team, hanoi, procedures, moment):
    moment(at(2026, 3, 2, 9))
    on_time = _received(team, hanoi, procedures, at(2026, 3, 2, 9))
    late = _received(team, hanoi, procedures, at(2026, 3, 2, 9, 30))
    actions.process(team["an"], on_time)
    actions.approve(team["leader"], on_time, result="Đã cập nhật biến động")
    # 1 finished on time, 1 open and overdue: 50 %, not 100 %
    total = dashboard.counts_by_agency(team["city"], today=D(2026, 4, 1))["total"]
    assert (total["finished_on_time"], total["open_overdue"]) == (1, 1)
    assert total["on_time_rate"] == 0.5
    assert late.is_overdue(D(2026, 4, 1))


def test_process_once_then_submit_for_approval_then_approve_with_a_note(team, hanoi, procedures):
    d = _received(team, hanoi, procedures, at(2026, 3, 2, 9))
    assert Action.PROCESS in worklist.allowed_actions(d, team["an"])
    assert Action.SUBMIT_APPROVAL not in worklist.allowed_actions(d, team["an"])   # nothing processed yet
    an = client_for(team["an"])
    an.post(f"/ho-so/can-bo/{d.pk}/process/", {"note": "Đã thẩm định"})
    d.refresh_from_db()
    # Thụ lý is not offered again, and a second post records nothing
    assert Action.PROCESS not in worklist.allowed_actions(d, team["an"])
    assert an.post(f"/ho-so/can-bo/{d.pk}/process/", {"note": "lần hai"}).status_code == 409
    with pytest.raises(actions.TransitionError, match="đã được thụ lý"):
        actions.process(team["an"], d)
    assert d.events.filter(action=Action.PROCESS).count() == 1
    # trình duyệt carries the draft result to the leader
    assert Action.SUBMIT_APPROVAL in worklist.allowed_actions(d, team["an"])
    an.post(f"/ho-so/can-bo/{d.pk}/submit_approval/", {"note": "Cập nhật biến động thửa đất số 12, tờ bản đồ 5"})
    assert worklist.allowed_actions(d, team["an"]) == []
    leader = client_for(team["leader"])
    page = leader.get(f"/ho-so/can-bo/{d.pk}/")
    html = page.content.decode()
    assert ">Cập nhật biến động thửa đất số 12, tờ bản đồ 5</textarea>" in html   # the approve form starts from it
    assert "Ý kiến phê duyệt" in html
    leader.post(f"/ho-so/can-bo/{d.pk}/approve/", {"result": "Cập nhật biến động thửa đất số 12, tờ bản đồ 5",
                                                   "note": "Đồng ý, trả kết quả trong ngày"})
    d.refresh_from_db()
    assert d.status == Status.DONE and d.result == "Cập nhật biến động thửa đất số 12, tờ bản đồ 5"
    assert d.events.get(action=Action.APPROVE).note == "Đồng ý, trả kết quả trong ngày"
    assert list(d.events.values_list("action", flat=True)) == [
        "receive", "assign", "process", "submit_approval", "approve"]


def test_history_shows_names_and_posts_not_user_names(team, hanoi, procedures):
    d = _received(team, hanoi, procedures, at(2026, 3, 2, 9))
    actions.process(team["an"], d, note="Đã thẩm định")
    assert d.events.get(action=Action.PROCESS).actor_title == "Công chức tư pháp - hộ tịch"
    html = client_for(team["leader"]).get(f"/ho-so/can-bo/{d.pk}/").content.decode()
    history = html.split('id="history"')[1]
    assert "Nguyễn Văn An, Công chức tư pháp - hộ tịch" in history
    assert "Ngô Thị Mai, Công chức một cửa" in history
    assert "nguyen.van.an" not in history and "ngo.thi.mai" not in history
    assert "02/03/2026 09:00" in history
