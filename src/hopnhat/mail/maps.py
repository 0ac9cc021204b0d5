"""The platform's tables written out for the servers (docs/decisions.md, "Mail: maps written from the platform"):

    maps/mailbox_domains  Postfix virtual_mailbox_domains   primary domains
    maps/alias_domains    Postfix virtual_alias_domains     old domains with an address switched over
    maps/mailboxes        Postfix virtual_mailbox_maps      every mailbox (closed logins too: the mailbox is kept)
    maps/aliases          Postfix virtual_alias_maps        old address → new address, during the forwarding period
    maps/relocated        Postfix relocated_maps            old address → new address, after it ("user has moved")
    maps/notice_bcc       Postfix recipient_bcc_maps        old address whose senders are told the new one → the
                                                            platform's notice mailbox (hopnhat.mail.notices)
    maps/dovecot-users    Dovecot userdb passwd-file        every mailbox
    maps/dovecot-passwd   Dovecot passdb passwd-file        open logins with a mail password

Each file is built beside the live one and renamed over it (Postfix's .db with postmap first), so a lookup sees
the old table or the new one and never a half-written one; Postfix is then reloaded gracefully (its listening
sockets stay open). Any change to a mailbox, an old address or a domain publishes after its transaction commits,
so a change is live within a second or two; `hopnhat mail publish` does it by hand (and daily from a timer, for
forwarding periods that end at midnight).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import servers
from .models import DomainKind, Mailbox, MailDomain, OldAddress


def tables(today=None, hostname: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Every table as (key, value) rows, from the database."""
    today = today or timezone.localdate()
    hostname = hostname or servers.Layout.from_settings().hostname
    out: dict[str, list[tuple[str, str]]] = {name: [] for name in servers.MAP_NAMES}
    out["mailbox_domains"] = [(name, "OK") for name in
                              MailDomain.objects.filter(kind=DomainKind.PRIMARY).values_list("name", flat=True)]
    # The platform's notice mailbox (hopnhat.mail.notices) lives under the servers' own host name.
    notices = f"{servers.NOTICE_LOCAL}@{hostname}"
    out["mailbox_domains"].append((hostname, "OK"))
    out["mailboxes"].append((notices, f"{hostname}/{servers.NOTICE_LOCAL}/"))
    users, passwd = [f"{notices}::::::"], []
    for address, domain, local, login_open, password in Mailbox.objects.values_list(
            "address", "domain__name", "local_part", "login_open", "password_hash").order_by("address"):
        out["mailboxes"].append((address, f"{domain}/{local}/"))
        users.append(f"{address}::::::")
        if login_open and password:
            passwd.append(f"{address}:{password}")
    old_domains = set()
    for address, target, until, domain, notify in OldAddress.objects.filter(forwarding_on=True).values_list(
            "address", "mailbox__address", "forward_until", "domain__name", "notify_senders").order_by("address"):
        old_domains.add(domain)
        out["aliases" if today <= until else "relocated"].append((address, target))
        if notify and today <= until:
            local, _, dom = notices.partition("@")
            out["notice_bcc"].append((address, f"{local}+{address.replace('@', '=')}@{dom}"))
    out["alias_domains"] = [(name, "OK") for name in sorted(old_domains)]
    out["dovecot-users"] = users
    out["dovecot-passwd"] = passwd
    return out


def _postfix_text(rows: list[tuple[str, str]]) -> str:
    return "".join(f"{key} {value}\n" for key, value in rows)


def publish(layout: servers.Layout | None = None, today=None) -> dict:
    """Write every table for the servers under layout.root and reload Postfix. Returns the row counts; does
    nothing (configured: False) when the servers' directory has not been set up on this machine."""
    layout = layout or servers.Layout.from_settings()
    if not layout.configured:
        return {"configured": False, "dir": str(layout.root)}
    data = tables(today, layout.hostname)
    # Dovecot's users before Postfix's: Postfix must not accept mail for a mailbox Dovecot has never been told of.
    # (Dovecot may still answer from its older table for up to a second; the LMTP status filter in main.cf keeps
    # such mail queued rather than bounced.)
    servers.atomic_write(layout.maps_dir / "dovecot-users", "".join(f"{line}\n" for line in data["dovecot-users"]))
    servers.atomic_write(layout.maps_dir / "dovecot-passwd", "".join(f"{line}\n" for line in data["dovecot-passwd"]))
    for name in servers.MAP_NAMES:
        servers.install_postfix_map(layout, name, _postfix_text(data[name]))
    servers.reload_postfix(layout)
    return {"configured": True, "dir": str(layout.root), **{name: len(rows) for name, rows in data.items()}}


def _publish_on_commit() -> None:
    publish()


def schedule_publish() -> None:
    """Publish once when the current transaction commits, however many rows it changed (a rolled-back
    transaction publishes nothing)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _publish_on_commit for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_publish_on_commit)
