"""Notices of each status change to the citizen who submitted online, by e-mail and SMS, through core.outbox; the SMS
gateway is a real HTTP server on a loopback port (down first: the message is retried, not lost)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from hopnhat.dossiers import actions, notices, online
from hopnhat.dossiers.models import Action, NoticeMessage, OutboxState

from .conftest import close_old_agencies

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    down = False

    def do_POST(self):  # noqa: N802 — the name http.server calls
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Gateway.down:
            self.send_response(503)
            self.end_headers()
            return
        Gateway.received.append((self.headers.get("Authorization"), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.received, Gateway.down = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.HOPNHAT_NOTICES = {"url": f"http://127.0.0.1:{server.server_port}/send", "token": "t0k",
                                "from": "motcua@example.vn", "backoff_seconds": 0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield Gateway
    server.shutdown()
    server.server_close()


def test_receipt_and_supplement_request_reach_the_citizen(hanoi, procedures, gateway, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    close_old_agencies(hanoi)
    gateway.down = True
    dossier = online.submit(key="n-1", citizen_id_number="001085012345", applicant_name="Nguyễn Thị Lan",
                            procedure=procedures.birth, place="Phường Trúc Bạch, Quận Ba Đình", phone="0912000111",
                            email="lan@example.vn", files=[online.Upload("Tờ khai", "a.pdf", PDF)])
    assert NoticeMessage.objects.filter(dossier=dossier).count() == 2
    counts = notices.send_due()
    assert counts["sent"] == 1 and counts["retry"] == 1          # e-mail went, the SMS gateway was down
    gateway.down = False
    assert notices.send_due()["sent"] == 1
    assert gateway.received == [("Bearer t0k", {"to": "0912000111", "text": f"Hồ sơ {dossier.code}: "
                                                 "Được tiếp nhận."})]
    actions.transition("system:test", dossier, Action.REQUEST_SUPPLEMENT, note="Giấy chứng sinh bản chính")
    assert notices.send_due()["sent"] == 2
    assert "Cần bổ sung: Giấy chứng sinh bản chính" in gateway.received[-1][1]["text"]
    assert [m.to for m in mail.outbox] == [["lan@example.vn"], ["lan@example.vn"]]
    assert "Cần bổ sung" in mail.outbox[-1].body
    assert not NoticeMessage.objects.exclude(state=OutboxState.SENT).exists()


def test_no_contact_no_notice(hanoi, procedures, gateway):
    close_old_agencies(hanoi)
    actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="A",
                    id_number="001085012345", phone="0912000111")
    assert not NoticeMessage.objects.exists()
