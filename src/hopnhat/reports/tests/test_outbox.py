"""Approved versions go to the national reporting system through core.outbox, once, with retry; tested against a
real HTTP receiver on a loopback port."""

import datetime
import io
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from hopnhat.core.outbox import OutboxState
from hopnhat.reports import collection
from hopnhat.reports.outbox import NATIONAL, SubmissionMessage, enqueue_report

from .conftest import ACTOR


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0
    calls = 0

    def do_POST(self):  # noqa: N802 — the name http.server calls
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.calls += 1
        if Receiver.calls <= Receiver.fail_first:
            code, answer = 503, {"error_code": "503"}
        else:
            Receiver.received.append((self.headers["Idempotency-Key"], body))
            code, answer = 200, {"error_code": "0", "MaTiepNhan": f"BC{len(Receiver.received):04d}"}
        raw = json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.calls, Receiver.fail_first = [], 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with override_settings(HOPNHAT_NATIONAL_REPORTING={"url": f"http://127.0.0.1:{server.server_port}/bao-cao",
                                                       "backoff_seconds": 1, "max_attempts": 3}):
        yield Receiver
    server.shutdown()
    server.server_close()


def _approved(tq, figures):
    report = collection.open_report(tq.cat.form, tq.agencies.ys, "2024Q4", ACTOR)
    assert collection.fill(report, figures, ACTOR).ok
    collection.move(report, "submit", ACTOR)
    return collection.move(report, "approve", ACTOR)


def test_approved_versions_sent_once_with_retry(tq, receiver):
    receiver.fail_first = 1
    report = _approved(tq, {"DS02": Decimal("12345.5")})
    msg, created = enqueue_report(report)
    assert not created and SubmissionMessage.objects.count() == 1   # approval queued it; again is a no-op
    now = timezone.now()
    assert NATIONAL.send_due(now=now) == {"sent": 0, "retry": 1, "dead": 0}
    assert NATIONAL.send_due(now=now + datetime.timedelta(seconds=5)) == {"sent": 1, "retry": 0, "dead": 0}
    msg.refresh_from_db()
    assert msg.state == OutboxState.SENT and msg.response["MaTiepNhan"] == "BC0001"
    key, body = receiver.received[0]
    assert key == f"report:{report.pk}:v1"
    assert body["KyBaoCao"] == "2024Q4" and body["DuLieu"] == [
        {"MaChiTieu": "DS02", "MaQuocGia": "", "PhanTo": "", "MaDonVi": "99911", "GiaTri": "12345.5"}]
    assert NATIONAL.send_due(now=now + datetime.timedelta(minutes=5)) == {"sent": 0, "retry": 0, "dead": 0}
    # A correction is a new version and a new message; the first stays as sent.
    fix = collection.open_report(tq.cat.form, tq.agencies.ys, "2024Q4", ACTOR)
    collection.fill(fix, {"DS02": Decimal(12400)}, ACTOR)
    collection.move(fix, "submit", ACTOR)
    collection.move(fix, "approve", ACTOR)
    NATIONAL.send_due(now=now + datetime.timedelta(minutes=10))
    assert [k for k, _ in receiver.received] == [f"report:{report.pk}:v1", f"report:{fix.pk}:v2"]
    assert receiver.received[1][1]["ThayTheLan"] == 1


def test_the_timers_round_sends_what_waits_for_a_retry(tq, receiver):
    """`hopnhat outbox send` (the hopnhat-outbox-send timer, every minute) sends every connected link's due
    messages: before it, nothing in production sent the national reporting link's messages at all."""
    receiver.fail_first = 1
    _approved(tq, {"DS02": Decimal(7)})
    assert NATIONAL.send_due() == {"sent": 0, "retry": 1, "dead": 0}
    out = io.StringIO()
    call_command("outbox", "send", "--json", stdout=out)
    rows = {row["link"]: row for row in json.loads(out.getvalue())["links"]}
    assert rows["reports"]["sent"] == 0   # still in its back-off
    SubmissionMessage.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    out = io.StringIO()
    call_command("outbox", "send", "--link", "reports", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["ok"] and [row["link"] for row in answer["links"]] == ["reports"]
    assert answer["links"][0] | {"label": None} == {"link": "reports", "label": None, "connected": True, "sent": 1,
                                                     "retry": 0, "dead": 0}
    assert SubmissionMessage.objects.get().state == OutboxState.SENT and len(receiver.received) == 1
    with pytest.raises(CommandError):
        call_command("outbox", "send", "--link", "nowhere", stdout=io.StringIO())
