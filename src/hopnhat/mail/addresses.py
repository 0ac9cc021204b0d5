"""One address per official: derived from the name by a configurable pattern, numbered on collision, reviewed and
overridable by unit administrators; shared addresses per agency (văn thư, one-door desk); logins closed when an
official's last membership ends, mailboxes kept. The one module that writes Mailbox rows.

Patterns (settings.HOPNHAT_MAIL["address_pattern"], a format string over the folded name):
    {given}{initials}   "Nguyễn Văn An" → annv        (the usual convention of Vietnamese agencies; default)
    {full}              "Nguyễn Văn An" → nguyenvanan
    {given}.{family}    "Nguyễn Văn An" → an.nguyen
    {family}{given}     "Nguyễn Văn An" → nguyenan
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.text import fold
from hopnhat.org.models import Agency, AgencyStatus, Membership, Person, Role, RoleAssignment

from .models import DomainKind, Mailbox, MailboxKind, MailDomain, SharedRole

RESERVED = frozenset({"postmaster", "abuse", "root", "admin", "administrator", "hostmaster", "webmaster", "noreply",
                      "no-reply", "mailer-daemon", "vanthu", "motcua", "info", "lienhe"})
SHARED_PREFIX = {SharedRole.VAN_THU: "vanthu", SharedRole.MOT_CUA: "motcua"}
_LOCAL_OK = re.compile(r"[^a-z0-9.]")
_ONE_DOOR_NAMES = ("ubnd xa ", "ubnd phuong ", "ubnd dac khu ", "trung tam phuc vu hanh chinh cong")


def pattern() -> str:
    return settings.HOPNHAT_MAIL.get("address_pattern") or "{given}{initials}"


def derive_local_part(full_name: str, fmt: str | None = None) -> str:
    """The address's part before @ for a name, without numbering: fold, then the pattern's pieces."""
    words = fold(full_name).split()
    if not words:
        return ""
    family, given = words[0], words[-1]
    pieces = {
        "given": given,
        "family": family,
        "initials": "".join(w[0] for w in words[:-1]),
        "middle_initials": "".join(w[0] for w in words[1:-1]),
        "full": "".join(words),
    }
    local = (fmt or pattern()).format(**pieces)
    local = _LOCAL_OK.sub("", local.lower()).strip(".")
    return re.sub(r"\.{2,}", ".", local)[:64]


def agency_slug(agency: Agency, domain: MailDomain) -> str:
    """A short name for an agency's shared addresses: vanthu.snv (Sở Nội vụ), motcua.phuongminhxuan."""
    words = fold(agency.short_name or agency.name).split()
    if words[:1] == ["ubnd"]:
        words = words[1:]
    if domain.agency_id:
        tail = fold(domain.agency.name).split()
        for cut in range(len(words) - 1, 0, -1):  # "sở nội vụ tỉnh tuyên quang" → "sở nội vụ"
            if words[cut] in {"tinh", "thanh"} and tail[-(len(words) - cut - 1):] == words[cut + 1:]:
                words = words[:cut]
                break
    if words[:1] and words[0] in {"xa", "phuong", "dac"}:
        return "".join(words)[:40]
    return "".join(w[0] for w in words)[:20] or str(agency.pk)


def domain_for(agency: Agency, domains: list[MailDomain] | None = None) -> MailDomain | None:
    """The primary domain serving an agency: the one whose agency's subtree holds it most closely."""
    domains = domains if domains is not None else list(
        MailDomain.objects.filter(kind=DomainKind.PRIMARY, agency__isnull=False).select_related("agency"))
    best = None
    for domain in domains:
        if agency.path.startswith(domain.agency.path) and (
                best is None or len(domain.agency.path) > len(best.agency.path)):
            best = domain
    return best


def current_memberships(person_ids=None, today: datetime.date | None = None):
    today = today or timezone.localdate()
    qs = Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=today), agency__status=AgencyStatus.ACTIVE)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return qs.select_related("agency").order_by("person_id", "-start", "-id")


@dataclass
class Plan:
    """What provision did (or, with dry_run, would do)."""

    created: list[dict] = field(default_factory=list)
    closed: list[dict] = field(default_factory=list)
    reopened: list[dict] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)
    shared: list[dict] = field(default_factory=list)
    numbered: list[dict] = field(default_factory=list)
    without_domain: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {name: len(getattr(self, name)) for name in
                ("created", "closed", "reopened", "moved", "shared", "numbered", "without_domain")}

    def as_dict(self) -> dict:
        return {"summary": self.summary(), **{k: v for k, v in self.__dict__.items()}}


class _Taken:
    """Local parts in use per domain, loaded once (all of them for a provisioning run, or only those that start
    like the wanted one for a single official), updated as the run assigns new ones."""

    def __init__(self, preload: bool = True):
        self.by_domain: dict[int, set[str]] = defaultdict(set)
        self.preloaded = preload
        if preload:
            for domain_id, local in Mailbox.objects.values_list("domain_id", "local_part"):
                self.by_domain[domain_id].add(local)

    def used(self, domain: MailDomain, base: str) -> set[str]:
        if not self.preloaded:
            self.by_domain[domain.pk] |= set(Mailbox.objects.filter(domain=domain, local_part__startswith=base)
                                             .values_list("local_part", flat=True))
        return self.by_domain[domain.pk]

    def claim(self, domain: MailDomain, base: str, reserved=RESERVED) -> tuple[str, int]:
        used = self.used(domain, base)
        number = 1
        local = base
        while local in used or local in reserved:
            number += 1
            local = f"{base}{number}"
        used.add(local)
        return local, number


def _one_door(agency: Agency, receivers: set[int]) -> bool:
    name = fold(agency.name) + " "
    return agency.pk in receivers or name.startswith(_ONE_DOOR_NAMES)


def provision(*, dry_run: bool = False, actor="system:mail", today: datetime.date | None = None) -> Plan:
    """Give every official with a current membership under a primary domain a mailbox; close the login of those
    whose memberships all ended (the mailbox stays); reopen returning officials; give each active agency under a
    domain its văn thư address (and a one-door desk address where it receives dossiers). Idempotent."""
    plan = Plan()
    with transaction.atomic():
        domains = _domains()
        taken = _Taken()
        memberships: dict[int, Membership] = {}
        for m in current_memberships(today=today):
            memberships.setdefault(m.person_id, m)
        existing = {mb.person_id: mb for mb in Mailbox.objects.filter(kind=MailboxKind.PERSONAL)
                    .select_related("domain")}
        for person in Person.objects.filter(pk__in=set(memberships) | set(existing)).order_by("pk"):
            _provision_person(plan, person, memberships.get(person.pk), existing.get(person.pk), domains, taken,
                              dry_run)
        _provision_shared(plan, domains, taken, dry_run)
        if not dry_run and any(plan.summary()[k] for k in ("created", "closed", "reopened", "moved", "shared")):
            audit.record(actor, "mail.provision", None, **plan.summary())
        if dry_run:
            transaction.set_rollback(True)
    return plan


def refresh_person(person_id: int, actor="system:mail") -> Plan:
    """provision for one official, when a membership of theirs is saved or deleted: a new official gets an
    address at once, one who left has the login closed."""
    plan = Plan()
    domains = _domains()
    if not domains:
        return plan
    with transaction.atomic():
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            return plan
        membership = current_memberships([person_id]).first()
        mailbox = Mailbox.objects.filter(person=person).select_related("domain").first()
        _provision_person(plan, person, membership, mailbox, domains, _Taken(preload=False), False)
        if any(plan.summary().values()):
            audit.record(actor, "mail.provision.person", person, **plan.summary())
    return plan


def _domains() -> list[MailDomain]:
    return list(MailDomain.objects.filter(kind=DomainKind.PRIMARY, agency__isnull=False).select_related("agency"))


def _provision_person(plan: Plan, person: Person, membership: Membership | None, mailbox: Mailbox | None,
                      domains: list[MailDomain], taken: _Taken, dry_run: bool) -> None:
    if mailbox is None:
        if membership is None:
            return
        domain = domain_for(membership.agency, domains)
        if domain is None:
            plan.without_domain.append({"person": person.full_name, "agency": membership.agency.name})
            return
        base = derive_local_part(person.full_name)
        if not base:
            return
        local, number = taken.claim(domain, base)
        row = {"person": person.full_name, "address": f"{local}@{domain.name}", "agency": membership.agency.name}
        plan.created.append(row)
        if number > 1:
            plan.numbered.append({**row, "derived": f"{base}@{domain.name}"})
        if not dry_run:
            Mailbox.objects.create(domain=domain, local_part=local, kind=MailboxKind.PERSONAL, person=person,
                                   agency=membership.agency, display_name=person.full_name)
        return
    if membership is None:
        if mailbox.login_open:
            plan.closed.append({"person": person.full_name, "address": mailbox.address})
            if not dry_run:
                mailbox.login_open, mailbox.closed_at = False, timezone.now()
                mailbox.save(update_fields=["login_open", "closed_at"])
        return
    changed = []
    if not mailbox.login_open:
        plan.reopened.append({"person": person.full_name, "address": mailbox.address})
        mailbox.login_open, mailbox.closed_at = True, None
        changed += ["login_open", "closed_at"]
    if mailbox.agency_id != membership.agency_id:
        plan.moved.append({"person": person.full_name, "address": mailbox.address, "agency": membership.agency.name})
        mailbox.agency = membership.agency
        changed.append("agency")
    if mailbox.display_name != person.full_name:
        mailbox.display_name = person.full_name
        changed.append("display_name")
    if changed and not dry_run:
        mailbox.save(update_fields=changed)


def _provision_shared(plan: Plan, domains: list[MailDomain], taken: _Taken, dry_run: bool) -> None:
    have = set(Mailbox.objects.filter(kind=MailboxKind.SHARED).values_list("agency_id", "shared_role"))
    receivers = set(RoleAssignment.objects.filter(role=Role.DOSSIER_RECEIVER).values_list("agency_id", flat=True))
    for agency in Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("path"):
        domain = domain_for(agency, domains)
        if domain is None:
            continue
        roles = [SharedRole.VAN_THU] + ([SharedRole.MOT_CUA] if _one_door(agency, receivers) else [])
        for role in roles:
            if (agency.pk, role) in have:
                continue
            prefix = SHARED_PREFIX[role]
            base = prefix if agency.pk == domain.agency_id else f"{prefix}.{agency_slug(agency, domain)}"
            local, _ = taken.claim(domain, base, reserved=())
            plan.shared.append({"agency": agency.name, "role": role.value, "address": f"{local}@{domain.name}"})
            if not dry_run:
                Mailbox.objects.create(domain=domain, local_part=local, kind=MailboxKind.SHARED, agency=agency,
                                       shared_role=role, display_name=f"{role.label.split(' (')[0]} – {agency.name}")


class AddressError(ValueError):
    pass


def set_local_part(mailbox: Mailbox, local_part: str, actor) -> Mailbox:
    """A unit administrator chooses the address (review of a derived one, or a collision): it is never derived
    again. The address it replaces is in the audit entry."""
    local = _LOCAL_OK.sub("", local_part.strip().lower()).strip(".")
    if not local or local != local_part.strip().lower():
        raise AddressError(f"“{local_part}”: chỉ dùng chữ a–z, số và dấu chấm / only a–z, digits and dots")
    if local in RESERVED and mailbox.kind == MailboxKind.PERSONAL:
        raise AddressError(f"“{local}” là địa chỉ dành riêng / “{local}” is reserved")
    with transaction.atomic():
        clash = Mailbox.objects.filter(domain=mailbox.domain, local_part=local).exclude(pk=mailbox.pk).first()
        if clash is not None:
            raise AddressError(f"{local}@{mailbox.domain.name} đã thuộc về {clash.display_name or clash.address} "
                               f"/ already taken")
        before = mailbox.address
        mailbox.local_part, mailbox.overridden = local, True
        mailbox.reviewed_by = getattr(actor, "get_username", lambda: str(actor))()
        mailbox.reviewed_at = timezone.now()
        mailbox.save()
        audit.record(actor, "mail.address.set", mailbox, before=before, after=mailbox.address)
    return mailbox


def mark_reviewed(mailbox: Mailbox, actor) -> Mailbox:
    with transaction.atomic():
        mailbox.reviewed_by = getattr(actor, "get_username", lambda: str(actor))()
        mailbox.reviewed_at = timezone.now()
        mailbox.save(update_fields=["reviewed_by", "reviewed_at"])
        audit.record(actor, "mail.address.reviewed", mailbox, address=mailbox.address)
    return mailbox


def set_password(mailbox: Mailbox, raw: str) -> None:
    """The mail password (IMAP/SMTP clients), kept apart from the web sign-in: bcrypt in Dovecot's BLF-CRYPT."""
    import bcrypt

    mailbox.password_hash = "{BLF-CRYPT}" + bcrypt.hashpw(raw.encode(), bcrypt.gensalt(rounds=8)).decode()
    mailbox.save(update_fields=["password_hash"])
