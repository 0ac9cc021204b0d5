"""One notice of the new address per sender per period, for mail sent to an old address during its forwarding
period (issue 15; docs/decisions.md "Moved notices").

    Postfix   recipient_bcc_maps (maps/notice_bcc): mail to an old address whose `notify_senders` is on gets a blind
              copy to moved-notices+<old address, @ as =>@<the servers' host name>, looked up by the original
              recipient before virtual aliasing; the mail itself is delivered to the new mailbox as always.
    Dovecot   stores the copy in the platform's notice mailbox, with Return-Path (the envelope sender) and
              Delivered-To (which old address) added at delivery.
    platform  `collect()` reads that mailbox over IMAP (as the migration master user), decides per copy whether
              the sender is told (never an empty or automatic sender, a list, a bulk or auto-submitted message, or
              the addresses themselves: RFC 3834's rules for automatic answers), queues the notice in the one outbox
              (`core.outbox`, key moved:<old>:<sender>:<period end> — the same sender in the same period is queued
              once, whatever the number of mails) and removes the copies it has read. `NOTICES.send_due()` sends
              through the project's Postfix (envelope sender <>, Auto-Submitted: auto-replied) with retry.

`hopnhat mail notices` does both (a timer runs it every minute; on a host without mail servers it does nothing).
Only the header lines named above are read; no message content enters the platform's database.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction

from hopnhat.core.outbox import DeliveryFailed, Outbox

from . import servers
from .models import MovedNotice, OldAddress

HEADERS = "BODY.PEEK[HEADER.FIELDS (RETURN-PATH DELIVERED-TO AUTO-SUBMITTED PRECEDENCE LIST-ID X-LOOP)]"
AUTOMATIC_LOCALS = ("mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply")


def _smtp_target(config: dict) -> tuple[str, int]:
    """url "smtp:" is the project's own Postfix (settings.HOPNHAT_MAIL); "smtp://host:port" any relay."""
    url = config.get("url") or "smtp:"
    rest = url.removeprefix("smtp:").lstrip("/")
    if not rest:
        return "127.0.0.1", int(settings.HOPNHAT_MAIL["smtp_port"])
    host, _, port = rest.partition(":")
    return host, int(port or 25)


def text_of(notice: MovedNotice) -> tuple[str, str]:
    old = notice.old_address
    new = old.mailbox.address
    until = old.forward_until.strftime("%d/%m/%Y")
    subject = f"Địa chỉ thư mới: {new} / New address: {new}"
    body = (f"Kính gửi Quý vị,\n\nĐịa chỉ {old.address} đã chuyển sang {new}. Thư Quý vị vừa gửi đã được chuyển tới "
            f"hộp thư mới; từ nay xin gửi tới {new}. Địa chỉ cũ còn chuyển tiếp thư đến hết ngày {until}.\n\n"
            f"Đây là thư tự động, mỗi người gửi chỉ nhận một lần.\n\n---\n\n"
            f"The address {old.address} has moved to {new}. Your message has been delivered to the new mailbox; "
            f"please write to {new} from now on. The old address forwards mail until {old.forward_until:%Y-%m-%d}."
            f"\n\nThis is an automatic message, sent once to each sender.\n")
    return subject, body


def _deliver(notice: MovedNotice, session: Any) -> Any:
    subject, body = text_of(notice)
    new = notice.old_address.mailbox
    msg = EmailMessage()
    msg["From"] = formataddr((f"{new.display_name or new.address} (thông báo tự động / automatic notice)",
                              f"postmaster@{new.domain.name}"))
    msg["Reply-To"] = new.address
    msg["To"] = notice.sender
    msg["Subject"] = subject
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Loop"] = f"hopnhat-moved-notice@{new.domain.name}"
    msg["Message-ID"] = make_msgid(domain=new.domain.name)
    msg.set_content(body)
    host, port = _smtp_target(MOVED_NOTICES.config())
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            refused = smtp.send_message(msg, from_addr="<>", to_addrs=[notice.sender])
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"{notice.sender}: {exc.recipients}") from exc
    except smtplib.SMTPException as exc:
        raise DeliveryFailed(str(exc)) from exc
    return {"sent": True, "refused": {k: list(v) for k, v in refused.items()}}


class _MovedOutbox(Outbox):
    def config(self) -> dict[str, Any]:
        # Connected by default to the project's own Postfix; HOPNHAT_MAIL_NOTICES may name another relay or
        # {"url": ""} to send none.
        configured = getattr(settings, self.settings_name, None)
        return {"url": "smtp:"} if configured is None else configured


MOVED_NOTICES = _MovedOutbox(MovedNotice, "mail-notices", deliver=_deliver, settings_name="HOPNHAT_MAIL_NOTICES",
                             select_related=("old_address__mailbox__domain",))


def _fields(block: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    for line in block.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            out.setdefault(name, value.strip())
    return out


def why_not(fields: dict[str, str], old: OldAddress | None) -> str:
    """The reason no notice goes for this copy ("" when one may): RFC 3834 §2 and the usual vacation rules."""
    if old is None:
        return "không còn là địa chỉ cũ / not an old address any more"
    if not old.notify_senders or old.state() != "forwarding":
        return "địa chỉ cũ không báo người gửi / the old address does not notify"
    sender = (getaddresses([fields.get("return-path", "")]) or [("", "")])[0][1].lower()
    if not sender or "@" not in sender:
        return "người gửi rỗng (thư báo lỗi) / empty sender (a bounce)"
    local = sender.split("@", 1)[0]
    if local in AUTOMATIC_LOCALS or local.startswith("owner-") or local.endswith("-request"):
        return "người gửi tự động / an automatic sender"
    if fields.get("auto-submitted", "no").lower() != "no":
        return "thư tự động (Auto-Submitted) / an automatic message"
    if fields.get("precedence", "").lower() in ("bulk", "list", "junk") or fields.get("list-id"):
        return "thư gửi hàng loạt hoặc qua danh sách / bulk or list mail"
    if fields.get("x-loop", "").startswith("hopnhat-moved-notice@"):
        return "thông báo của chính hệ thống / our own notice"
    if sender in (old.address, old.mailbox.address):
        return "người gửi là chính địa chỉ đó / the addresses themselves"
    return ""


def notice_key(old: OldAddress, sender: str) -> str:
    """One per (old address, sender, period): the period is named by its end, so an extended period may tell a
    sender once more; readable when it fits the outbox's key, hashed when it does not."""
    import hashlib

    key = f"moved:{old.address}:{sender}:{old.forward_until.isoformat()}"
    if len(key) > 200:
        key = f"moved:{hashlib.sha256(key.encode()).hexdigest()}:{old.forward_until.isoformat()}"
    return key


def _old_address_of(delivered_to: str) -> str:
    local = delivered_to.strip().strip("<>").split("@", 1)[0]
    _, plus, detail = local.partition("+")
    if not plus:
        return ""
    name, eq, domain = detail.rpartition("=")
    return f"{name}@{domain}".lower() if eq else ""


def collect(layout: servers.Layout | None = None) -> dict:
    """Read the notice mailbox, queue one notice per (old address, sender, period), remove the copies read."""
    from imapclient import IMAPClient

    layout = layout or servers.Layout.from_settings()
    counts = {"read": 0, "queued": 0, "already": 0, "not_notified": 0, "reasons": {}}
    with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False, timeout=30) as imap:
        imap.login(f"{servers.NOTICE_LOCAL}@{layout.hostname}*{servers.MASTER_USER}", layout.secret("master"))
        imap.select_folder("INBOX")
        uids = imap.search(["ALL"])
        done = []
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            for uid, data in imap.fetch(chunk, [HEADERS]).items():
                block = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
                fields = _fields(block or b"")
                address = _old_address_of(fields.get("delivered-to", ""))
                old = OldAddress.objects.select_related("mailbox").filter(address=address).first() if address \
                    else None
                counts["read"] += 1
                reason = why_not(fields, old)
                if reason:
                    counts["not_notified"] += 1
                    counts["reasons"][reason] = counts["reasons"].get(reason, 0) + 1
                else:
                    sender = getaddresses([fields["return-path"]])[0][1].lower()
                    with transaction.atomic():
                        _, made = MOVED_NOTICES.enqueue(notice_key(old, sender),
                            {"old": old.address, "new": old.mailbox.address, "sender": sender},
                            old_address=old, sender=sender)
                    counts["queued" if made else "already"] += 1
                done.append(uid)
        if done:   # only after each copy's notice (or its reason) is decided and committed
            imap.delete_messages(done)
            imap.expunge()
    return counts


def run(layout: servers.Layout | None = None) -> dict:
    """`hopnhat mail notices`: collect, then send what is due. On a host where the mail servers were never set up
    (configured: False) there is nothing to read and nothing to send through: the every-minute timer then does
    nothing instead of failing."""
    layout = layout or servers.Layout.from_settings()
    if not layout.configured:
        return {"configured": False, "dir": str(layout.root)}
    collected = collect(layout)
    sent = MOVED_NOTICES.send_due() if MOVED_NOTICES.connected() else {"sent": 0, "retry": 0, "dead": 0}
    return {"configured": True, "collected": collected, "sent": sent}
