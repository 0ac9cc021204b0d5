"""Old addresses: where each now goes and until when. The one module that writes OldAddress rows.

During the forwarding period (default twelve months, settings.HOPNHAT_MAIL["forward_months"]) mail to an old
address is delivered to its new mailbox; after it Postfix answers "user has moved to <new address>"
(relocated_maps), never a silent bounce. An old address always points at a mailbox of the platform, never at
another old address, so no forwarding chain and no loop can be built; an old domain can never be a primary one.

The old mail system's cutover switches the forwarding (consolidation.cutover): `on_switch` turns it on for every
old address imported from that system, `on_route_back` turns it off again (the old server takes its mail back).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.selectors import OLD_SYSTEM_IN_CHARGE, cutover_state
from hopnhat.core import audit

from .models import DomainKind, Mailbox, MailDomain, OldAddress

SYSTEM_TYPES = ("email", "mail")   # the inventory's SystemType.EMAIL, and "mail" in a mapping's system_type


class ForwardError(ValueError):
    pass


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def default_until(start: datetime.date | None = None) -> datetime.date:
    return add_months(start or timezone.localdate(), int(settings.HOPNHAT_MAIL.get("forward_months", 12)))


def starts_on(system: str) -> bool:
    """An old address first imported from `system` forwards at once unless that system's cutover is under way and
    not switched (the old server still receives its mail)."""
    return not system or cutover_state(system) not in OLD_SYSTEM_IN_CHARGE


def old_domain(name: str, *, agency=None, source_system: str = "") -> MailDomain:
    name = name.strip().lower().encode("idna").decode("ascii")
    domain = MailDomain.objects.filter(name=name).first()
    if domain is None:
        return MailDomain.objects.create(name=name, kind=DomainKind.OLD, agency=agency, source_system=source_system)
    if domain.kind != DomainKind.OLD:
        raise ForwardError(f"{name} là tên miền chính của nền tảng, không thể là tên miền cũ "
                           f"/ {name} is a primary domain of the platform, not an old one")
    return domain


def split(address: str) -> tuple[str, str]:
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or " " in address:
        raise ForwardError(f"“{address}” không phải địa chỉ thư / not an e-mail address")
    return local, domain


def add_old_address(address: str, mailbox: Mailbox, *, actor, source_system: str = "",
                    forward_until: datetime.date | None = None, agency=None, note: str = "") -> tuple[OldAddress, bool]:
    """Tie an old address to the mailbox that answers for it now. Idempotent: the same address again updates its
    target (a later import knows better) but never shortens an edited period."""
    _, domain_name = split(address)
    address = address.strip().lower()
    if Mailbox.objects.filter(address=address).exists():
        raise ForwardError(f"{address} đã là một địa chỉ mới của nền tảng / is already a new address")
    with transaction.atomic():
        domain = old_domain(domain_name, agency=agency, source_system=source_system)
        until = forward_until or domain.forward_until or default_until()
        old = OldAddress.objects.filter(address=address).first()
        if old is None:
            old = OldAddress.objects.create(address=address, domain=domain, mailbox=mailbox,
                                            source_system=source_system, forward_until=until,
                                            forwarding_on=starts_on(source_system), note=note[:300])
            return old, True
        if old.mailbox_id != mailbox.pk:
            before = old.mailbox.address
            old.mailbox = mailbox
            old.save(update_fields=["mailbox", "updated_at"])
            audit.record(actor, "mail.forward.retarget", old, before=before, after=mailbox.address)
        return old, False


def set_forward_until(old: OldAddress, until: datetime.date, actor) -> OldAddress:
    """Edit the end of an old address's forwarding period (unit administrators; audit-logged)."""
    with transaction.atomic():
        before = old.forward_until
        old.forward_until = until
        old.save(update_fields=["forward_until", "updated_at"])
        audit.record(actor, "mail.forward.until", old, before=before, after=until)
    return old


def forward_rows(queryset=None, *, expiring_days: int | None = None, today: datetime.date | None = None):
    today = today or timezone.localdate()
    qs = (queryset if queryset is not None else OldAddress.objects.all()).select_related("mailbox", "domain")
    if expiring_days is not None:
        qs = qs.filter(forward_until__gte=today, forward_until__lte=today + datetime.timedelta(days=expiring_days))
    return [{"old": o.address, "new": o.mailbox.address, "until": o.forward_until.isoformat(),
             "days_left": (o.forward_until - today).days, "state": o.state(today), "system": o.source_system,
             "notify_senders": o.notify_senders} for o in qs.order_by("forward_until", "address")]


def set_forwarding(system: str, on: bool) -> dict | None:
    """Cutover hook body: switch the forwarding of every old address of `system`; None when it has none."""
    addresses = OldAddress.objects.filter(source_system=system)
    total = addresses.count()
    if not total:
        return None
    changed = addresses.exclude(forwarding_on=on).update(forwarding_on=on)
    if changed:
        from .maps import schedule_publish

        schedule_publish()   # a bulk update sends no post_save
    return {"mail": {"forwarding": on, "addresses": total, "changed": changed}}


def on_switch(system: str) -> dict | None:
    return set_forwarding(system, True)


def on_route_back(system: str) -> dict | None:
    return set_forwarding(system, False)
