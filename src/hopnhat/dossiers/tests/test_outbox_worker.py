"""The DVCQG outbox worker against a real HTTP receiver started in the test that fails the first N times: back-off
per message, a dossier's messages never out of order, dead after the maximum attempts with the last error on the
staff page, requeued by a unit administrator, and a send task queued when each status change commits."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import actions, outbox
from hopnhat.dossiers.models import OutboxMessage, OutboxState
from hopnhat.org.models import Role

from .dvcqg_receiver import serving
from .staffing import client_for, official

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with serving(backoff_seconds=0.05, backoff_cap_seconds=1, max_attempts=4) as receiver:
        yield receiver


def _receive(hanoi, procedures, name, agency=None):
    return actions.receive("system:test", agency=agency or hanoi.ngoc_ha, procedure=procedures.certify,
                           applicant_name=name, phone="0912345678")


def test_worker_loop_backs_off_and_sends_in_order(hanoi, procedures, receiver, capsys):
    receiver.fail_first = 3
    d = _receive(hanoi, procedures, "Nguyễn Thị Minh Khai")
    actions.approve("system:test", d, result="Đã chứng thực 3 bản")
    call_command("dossiers", "outbox", "send", "--loop", "--interval", "0.05", "--rounds", "60", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert (answer["sent"], answer["dead"], answer["retry"]) == (4, 0, 3)
    assert answer["outbox"]["sent"] == 4 and answer["outbox"]["pending"] == 0
    # the first message took the three failures; the three behind it waited and went through first time
    attempts = list(OutboxMessage.objects.filter(dossier=d).order_by("pk").values_list("attempts", "state"))
    assert attempts == [(4, "sent"), (1, "sent"), (1, "sent"), (1, "sent")]
    assert receiver.attempts == [d.code] * 7
    assert [(b["service"], b["data"][0].get("TrangThaiHoSo", b["data"][0].get("TrangThai")))
            for b in receiver.received] == [("DongBoHoSoMC", 2), ("CapNhatTienDoHoSoMC", 2),
                                            ("DongBoHoSoMC", 9), ("CapNhatTienDoHoSoMC", 9)]


def test_backoff_doubles_per_message_up_to_the_cap(hanoi, procedures, receiver):
    receiver.fail_first = 100
    _receive(hanoi, procedures, "Lê Thị Hà")
    msg = OutboxMessage.objects.order_by("pk").first()
    now = timezone.now()
    waits = []
    for _ in range(3):
        outbox.send_due(now=now)
        msg.refresh_from_db()
        waits.append((msg.next_attempt_at - now).total_seconds())
        now = msg.next_attempt_at
    assert waits == [0.05, 0.1, 0.2] and msg.attempts == 3 and "503" in msg.last_error
    with override_settings(HOPNHAT_DVCQG={**outbox._config(), "backoff_cap_seconds": 0.15}):
        assert outbox.backoff(3) == datetime.timedelta(seconds=0.15)


def test_dead_after_the_last_attempt_shown_to_staff_and_requeued_by_a_unit_admin(hanoi, procedures, receiver,
                                                                                 capsys):
    receiver.fail_first = 4
    d = _receive(hanoi, procedures, "Đào Thị Yến")
    other = _receive(hanoi, procedures, "Hoàng Văn Nam", agency=hanoi.giang_vo)
    now = timezone.now()
    counts = [outbox.send_due(now=now + datetime.timedelta(seconds=10 * i), dossier_ids=[d.pk]) for i in range(4)]
    assert counts[-1] == {"sent": 0, "retry": 0, "dead": 1}
    dead = OutboxMessage.objects.get(dossier=d, state=OutboxState.DEAD)
    assert dead.attempts == 4 and "503" in dead.last_error
    # the history message behind it stays held, untried
    assert OutboxMessage.objects.get(dossier=d, state=OutboxState.PENDING).attempts == 0
    assert outbox.send_due(now=now + datetime.timedelta(minutes=5), dossier_ids=[d.pk]) == {
        "sent": 0, "retry": 0, "dead": 0}

    clerk = official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha)
    page = client_for(clerk).get("/ho-so/can-bo/dvcqg/")
    html = page.content.decode()
    assert page.status_code == 200 and d.code in html and "503 Server Error" in html
    assert other.code not in html and page.context["counts"]["dead"] == 1
    assert not page.context["may_requeue"] and "Gửi lại" not in html
    assert client_for(clerk).post("/ho-so/can-bo/dvcqg/", {"message": dead.pk}).status_code == 403
    assert client_for(official("le.van.tam", "Lê Văn Tâm", hanoi.giang_vo)).get(
        "/ho-so/can-bo/dvcqg/").context["counts"]["dead"] == 0

    call_command("dossiers", "outbox", "status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["dead"] == 1 and status["dead"][0]["dossier"] == d.code

    admin = official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN)
    c = client_for(admin)
    assert c.get("/ho-so/can-bo/dvcqg/").context["may_requeue"]
    answer = c.post("/ho-so/can-bo/dvcqg/", {"message": dead.pk}, follow=True)
    assert "Đã xếp lại 1 thông điệp" in answer.content.decode()
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (OutboxState.PENDING, 0)
    assert AuditEntry.objects.filter(action="dossiers.outbox_requeue", actor="dinh.thi.lan").count() == 1
    assert outbox.send_due() == {"sent": 4, "retry": 0, "dead": 0}
    assert [b["service"] for b in receiver.received if b["data"][0]["MaHoSo"] == d.code] == [
        "DongBoHoSoMC", "CapNhatTienDoHoSoMC"]   # each dossier's own in order


def test_a_status_change_queues_a_send_task_when_it_commits(hanoi, procedures, receiver,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        d = _receive(hanoi, procedures, "Bùi Thị Mai")
    assert len(callbacks) == 1
    assert OutboxMessage.objects.filter(dossier=d, state=OutboxState.SENT).count() == 2
    assert [b["service"] for b in receiver.received] == ["DongBoHoSoMC", "CapNhatTienDoHoSoMC"]
    # the receiver fails: the change itself still succeeds, the messages wait for the worker
    receiver.fail_first = len(receiver.attempts) + 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve("system:test", d, result="Đã chứng thực 2 bản")
    assert list(OutboxMessage.objects.filter(dossier=d, state=OutboxState.PENDING).values_list("attempts", flat=True)
                ) == [1, 0]
    # a change that rolls back queues nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _receive(hanoi, procedures, "Tạ Văn Bình")
            raise RuntimeError("giao dịch hủy / rolled back")
    assert callbacks == [] and OutboxMessage.objects.count() == 4


def test_without_an_adapter_no_task_is_queued(hanoi, procedures, django_capture_on_commit_callbacks):
    with override_settings(HOPNHAT_DVCQG={"url": ""}), django_capture_on_commit_callbacks() as callbacks:
        _receive(hanoi, procedures, "Mai Văn Dũng")
    assert callbacks == [] and OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == 2
