"""A DVCQG adapter for the outbox tests: a real HTTP server on a loopback port, started by the test.

POST /auth with the configured user name and password → a session; POST /sync with that session → error_code "0"
(another session → "401"). It answers HTTP 503 while `down`, and to the first `fail_first` sync posts. Every sync
post's MaHoSo is in `attempts`, every accepted body in `received`."""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import override_settings

USERNAME, PASSWORD, SESSION = "hopnhat-hanoi", "bi-mat", "phien-123"


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    attempts: list = []
    down = False
    fail_first = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 — the name http.server calls
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/auth":
            ok = body == {"username": USERNAME, "password": PASSWORD}
            return self._answer(200, {"error_code": 0, "session": SESSION} if ok else {"error_code": 1})
        with Receiver.lock:
            Receiver.attempts.append(body["data"][0].get("MaHoSo"))
            failing = Receiver.down or len(Receiver.attempts) <= Receiver.fail_first
            if not failing:
                Receiver.received.append(body)
        if failing:
            return self._answer(503, {"error_code": "503", "message": "Cổng DVCQG đang bảo trì"})
        return self._answer(200, {"error_code": "0" if body.get("session") == SESSION else "401", "message": "OK"})

    def _answer(self, code, data):
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(**settings):
    """The receiver on a free port, with HOPNHAT_DVCQG pointing at it (plus `settings`); stopped after."""
    Receiver.received, Receiver.attempts, Receiver.down, Receiver.fail_first = [], [], False, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with override_settings(HOPNHAT_DVCQG={"url": f"{base}/sync", "auth_url": f"{base}/auth", "username": USERNAME,
                                              "password": PASSWORD, "timeout": 5, **settings}):
            yield Receiver
    finally:
        server.shutdown()
        server.server_close()
