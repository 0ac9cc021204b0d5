"""The DVCQG outbox against a local HTTP server started by the test: payloads validated against the field list,
idempotent, sent in order with the adapter's session, retried with backoff, and a record of what was sent."""

import datetime
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from hopnhat.dossiers import actions, outbox
from hopnhat.dossiers.models import OutboxMessage, OutboxState

from .conftest import at
from .dvcqg_receiver import serving

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter():
    with serving() as receiver:
        yield receiver


def test_status_changes_are_sent_once_with_valid_payloads(hanoi, procedures, adapter):
    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify,
                        applicant_name="Nguyễn Thị Minh Khai", phone="0912111222", at=at(2025, 7, 8, 8, 5))
    actions.approve("system:test", d, result="Đã chứng thực 3 bản")
    assert outbox.send_due() == {"sent": 4, "retry": 0, "dead": 0}
    services = [(b["service"], b["data"][0].get("TrangThaiHoSo", b["data"][0].get("TrangThai")))
                for b in adapter.received]
    assert services == [("DongBoHoSoMC", 2), ("CapNhatTienDoHoSoMC", 2), ("DongBoHoSoMC", 9),
                        ("CapNhatTienDoHoSoMC", 9)]
    first = adapter.received[0]
    assert first["madonvi"] == "000.00.08.H26" and first["session"] == "phien-123"
    assert first["data"][0]["MaHoSo"] == d.code and first["data"][0]["NgayTiepNhan"] == "20250708080500"
    assert first["data"][0]["MaTTHC"] == "2.000884"
    sent = OutboxMessage.objects.filter(dossier=d)
    assert all(m.state == OutboxState.SENT and m.response["message"] == "OK" and m.sent_at for m in sent)
    # nothing left: a second pass sends nothing, and queuing the same change again adds nothing
    assert outbox.send_due() == {"sent": 0, "retry": 0, "dead": 0}
    outbox.enqueue(d, d.events.first())
    assert OutboxMessage.objects.filter(dossier=d).count() == 4 and len(adapter.received) == 4


def test_failures_are_retried_with_backoff_then_given_up(hanoi, procedures, adapter):
    actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="Lê Thị Hà")
    adapter.down = True
    now = timezone.now()
    # the history message waits behind the dossier message that failed: never out of order
    assert outbox.send_due(now=now) == {"sent": 0, "retry": 1, "dead": 0}
    msg = OutboxMessage.objects.first()
    assert msg.attempts == 1 and "503" in msg.last_error
    assert msg.next_attempt_at == now + datetime.timedelta(minutes=1)
    # not due yet: untouched
    assert outbox.send_due(now=now + datetime.timedelta(seconds=30)) == {"sent": 0, "retry": 0, "dead": 0}
    outbox.send_due(now=now + datetime.timedelta(minutes=2))
    msg.refresh_from_db()
    assert msg.attempts == 2 and msg.next_attempt_at == now + datetime.timedelta(minutes=4)
    adapter.down = False
    assert outbox.send_due(now=now + datetime.timedelta(minutes=5)) == {"sent": 2, "retry": 0, "dead": 0}
    adapter.down = True
    actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="Mai Văn Dũng")
    assert outbox.send_due(now=timezone.now(), max_attempts=1) == {"sent": 0, "retry": 0, "dead": 1}
    assert OutboxMessage.objects.filter(state=OutboxState.DEAD).count() == 1


def test_payload_outside_the_field_list_is_refused():
    good = {"MaHoSo": "000.00.08.H26-250708-0001", "NguoiXuLy": "Ngô Thị Mai", "ThoiDiemXuLy": "20250708080500",
            "PhongBanXuLy": "UBND phường Ngọc Hà", "NoiDungXuLy": "Tiếp nhận", "TrangThai": 2}
    outbox.validate(outbox.HISTORY_SERVICE, good)
    with pytest.raises(outbox.PayloadError, match="SoCCCD"):
        outbox.validate(outbox.HISTORY_SERVICE, good | {"SoCCCD": "001085012345"})
    with pytest.raises(outbox.PayloadError, match="NguoiXuLy"):
        outbox.validate(outbox.HISTORY_SERVICE, good | {"NguoiXuLy": ""})
    with pytest.raises(outbox.PayloadError, match="yyyyMMddHHmmss"):
        outbox.validate(outbox.HISTORY_SERVICE, good | {"ThoiDiemXuLy": "08/07/2025"})
    with pytest.raises(outbox.PayloadError, match="1–10"):
        outbox.validate(outbox.HISTORY_SERVICE, good | {"TrangThai": 11})


def test_command_sends_and_refuses_without_an_adapter(hanoi, procedures, adapter, capsys):
    from django.core.management import call_command

    actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Đào Thị Yến")
    with override_settings(HOPNHAT_DVCQG={}):
        with pytest.raises(SystemExit):
            call_command("dossiers", "outbox", "send", "--json")
        assert "HOPNHAT_DVCQG" in capsys.readouterr().out
    call_command("dossiers", "outbox", "send", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert (answer["ok"], answer["sent"], answer["retry"], answer["dead"], answer["rounds"]) == (True, 2, 0, 0, 1)
    assert answer["outbox"]["sent"] == 2 and answer["outbox"]["pending"] == 0
