"""Test helpers: a whole mail instance (Postfix, Dovecot, slapd) of the test run's own, on free loopback ports under
the run's HOPNHAT_VAR_DIR, started once per session (src/hopnhat/mail/tests/conftest.py)."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

from . import servers


def start_instance(root: Path, *, with_postfix: bool = True, with_ldap: bool = True, instance: str = "hopnhat-test",
                   hostname: str = "mail.test.hopnhat") -> servers.Layout:
    layout = servers.Layout(root=root, smtp_port=servers.free_port(), lmtp_port=servers.free_port(),
                            imap_port=servers.free_port(), ldap_port=servers.free_port(), instance=instance,
                            hostname=hostname, with_postfix=with_postfix, with_ldap=with_ldap)
    servers.stop(layout)   # a previous run's instance in the same directory (killed test run)
    servers.write_config(layout)
    servers.start(layout)
    return layout


def settings_for(layout: servers.Layout) -> dict:
    return {"dir": layout.root, "smtp_port": layout.smtp_port, "lmtp_port": layout.lmtp_port,
            "imap_port": layout.imap_port, "ldap_port": layout.ldap_port, "hostname": layout.hostname,
            "ldap_suffix": layout.ldap_suffix}


def wait_for_message(layout: servers.Layout, user: str, password: str, subject_contains: str, *,
                     folder: str = "INBOX", timeout: float = 20) -> email.message.Message:
    """Poll the mailbox over IMAP until a message whose Subject contains the text arrives (Postfix queues, then
    delivers over LMTP: a few hundred milliseconds)."""
    from imapclient import IMAPClient

    deadline = time.monotonic() + timeout
    while True:
        with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False, timeout=10) as imap:
            imap.login(user, password)
            imap.select_folder(folder, readonly=True)
            uids = imap.search(["SUBJECT", subject_contains], charset="UTF-8")
            if uids:
                data = imap.fetch(uids[:1], ["RFC822"])
                return email.message_from_bytes(data[uids[0]][b"RFC822"], policy=email.policy.default)
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {subject_contains!r} in {user}/{folder} after {timeout}s")
        time.sleep(0.2)
