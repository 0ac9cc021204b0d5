"""Test helpers: a whole mail instance (Postfix, Dovecot, slapd) of the test run's own, on free loopback ports under
the run's HOPNHAT_VAR_DIR, started once per session (src/hopnhat/mail/tests/conftest.py)."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import time
from pathlib import Path

from . import servers


def start_instance(root: Path, *, with_postfix: bool = True, with_ldap: bool = True, instance: str = "hopnhat-test",
                   hostname: str = "mail.test.hopnhat") -> servers.Layout:
    layout = servers.Layout(root=root, smtp_port=servers.free_port(), lmtp_port=servers.free_port(),
                            imap_port=servers.free_port(), ldap_port=servers.free_port(),
                            carddav_port=servers.free_port(), instance=instance, hostname=hostname,
                            with_postfix=with_postfix, with_ldap=with_ldap, with_carddav=with_ldap)
    servers.stop(layout)   # a previous run's instance in the same directory (killed test run)
    for sub in ("mail", "maps", "ldap/db", "carddav/collections"):   # a session starts with no mail, no accounts
        shutil.rmtree(Path(root) / sub, ignore_errors=True)
    servers.write_config(layout)
    servers.start(layout)
    return layout


def settings_for(layout: servers.Layout) -> dict:
    return {"dir": layout.root, "smtp_port": layout.smtp_port, "lmtp_port": layout.lmtp_port,
            "imap_port": layout.imap_port, "ldap_port": layout.ldap_port, "hostname": layout.hostname,
            "ldap_suffix": layout.ldap_suffix, "carddav_port": layout.carddav_port}


def wait_for_message(layout: servers.Layout, user: str, password: str, subject_contains: str, *,
                     folder: str = "INBOX", timeout: float = 20) -> email.message.Message:
    """Poll the mailbox over IMAP until a message whose Subject contains the text arrives (Postfix queues, then
    delivers over LMTP: a few hundred milliseconds)."""
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    started = time.monotonic()
    deadline, flushed = started + timeout, False
    while True:
        if not flushed and time.monotonic() - started > 3 and layout.with_postfix:
            # A mail deferred by Dovecot's one-second window (main.cf's LMTP status filter) would wait for the next
            # queue run, a minute away: retry it now, as that queue run will.
            subprocess.run(["postqueue", "-c", str(layout.postfix_dir), "-f"], capture_output=True, timeout=30)
            flushed = True
        with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False, timeout=10) as imap:
            try:
                imap.login(user, password)
            except LoginError:
                # Dovecot re-reads its passwd-file at most once a second: a login right after the platform
                # published the maps may still meet the previous file (the change is live within a second or two).
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
                continue
            imap.select_folder(folder, readonly=True)
            uids = imap.search(["SUBJECT", subject_contains], charset="UTF-8")
            if uids:
                data = imap.fetch(uids[:1], ["RFC822"])
                return email.message_from_bytes(data[uids[0]][b"RFC822"], policy=email.policy.default)
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {subject_contains!r} in {user}/{folder} after {timeout}s; "
                                 f"Postfix's log for it: {postfix_log_for(layout, user.split('*')[0])}")
        time.sleep(0.2)


def postfix_log_for(layout: servers.Layout, address: str, since: int = 0) -> list[str]:
    """Postfix's log lines about deliveries to one address (from byte offset `since`): what a failed wait shows."""
    try:
        with open(layout.root / "log" / "postfix.log", "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if f"to=<{address}>" in line]


# ---------------------------------------------------------------- generated mail for the "old server"

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Windows-1258 as old Vietnamese mail clients wrote it: base letters precomposed, tone marks combining."""
    import unicodedata

    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = [c for c in parts if c in _TONES]
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(tones).encode("cp1258")
    return bytes(out)


def rfc2047(text: str, charset: str = "utf-8") -> str:
    import base64

    raw = cp1258(text) if charset == "windows-1258" else text.encode(charset)
    return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="


SUBJECTS = ["Công văn số {i}/UBND-VP về việc họp giao ban", "Thông báo lịch trực tháng {i} của Sở Nội vụ",
            "Giấy mời dự hội nghị sơ kết lần {i}", "Báo cáo tình hình sắp xếp đơn vị hành chính đợt {i}"]


def generated_message(i: int, *, with_message_id: bool = True, attachment_kb: int = 0, charset: str = "utf-8",
                      body_kb: int = 1) -> bytes:
    """One message as an old client would have stored it: an RFC 2047 Vietnamese subject (UTF-8 or Windows-1258),
    a text body, optionally a PDF-like attachment; sometimes no Message-ID."""
    import base64
    import os

    subject = rfc2047(SUBJECTS[i % len(SUBJECTS)].format(i=i), charset)
    date = f"Mon, {1 + i % 28:02d} Dec 2024 {8 + i % 10:02d}:{i % 60:02d}:00 +0700"
    lines = [f"From: {rfc2047('Văn thư Sở Nội vụ')} <vanthu@snv.hagiang.gov.vn>",
             "To: an@hagiang.gov.vn", f"Subject: {subject}", f"Date: {date}", "MIME-Version: 1.0"]
    if with_message_id:
        lines.append(f"Message-ID: <{i}.{os.getpid()}.hn@hagiang.gov.vn>")
    text = ("Kính gửi các đồng chí,\r\nĐề nghị các đơn vị báo cáo đúng hạn.\r\n" * max(1, body_kb * 1024 // 80))
    if not attachment_kb:
        lines += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
        return ("\r\n".join(lines) + "\r\n").encode() + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    boundary = f"==hn{i}=="
    blob = base64.encodebytes(os.urandom(attachment_kb * 1024)).replace(b"\n", b"\r\n")
    lines += [f'Content-Type: multipart/mixed; boundary="{boundary}"', "", f"--{boundary}",
              "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
    head = ("\r\n".join(lines) + "\r\n").encode() + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    part = (f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename*=utf-8''C%C3%B4ng%20v%C4%83n%20{i}.pdf\r\n\r\n").encode()
    return head + part + blob + f"--{boundary}--\r\n".encode()


def old_server_users(layout: servers.Layout, users: dict[str, str]) -> None:
    """Accounts of the "old server" (a Dovecot of the test's own): {login: password}."""
    import bcrypt

    servers.atomic_write(layout.maps_dir / "dovecot-users", "".join(f"{u}::::::\n" for u in users))
    servers.atomic_write(layout.maps_dir / "dovecot-passwd", "".join(
        f"{u}:{{BLF-CRYPT}}{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
        for u, p in users.items()))


def fill_mailbox(layout: servers.Layout, user: str, password: str, folders: dict[str, list[bytes]],
                 flags: tuple = (b"\\Seen",)) -> int:
    """APPEND messages to the old server, creating (nested, Vietnamese) folders; returns how many."""
    import datetime as dt

    from imapclient import IMAPClient

    count = 0
    with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False) as imap:
        imap.login(user, password)
        for folder, messages in folders.items():
            if folder != "INBOX" and not imap.folder_exists(folder):
                imap.create_folder(folder)
            for n, raw in enumerate(messages):
                when = dt.datetime(2024, 12, 1 + n % 28, 9, n % 60, tzinfo=dt.timezone(dt.timedelta(hours=7)))
                imap.append(folder, raw, flags=flags if n % 3 else (b"\\Seen", b"\\Flagged"), msg_time=when)
                count += 1
    return count
