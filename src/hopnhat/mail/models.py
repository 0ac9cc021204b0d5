"""One mail system for the new organisation: its domains, one mailbox per official (and shared ones per agency),
the old addresses of the old mail systems with where they now go and until when, and the state of mailbox
migrations. People, memberships and agencies stay in `org` (the one source of truth); this app only says which
address each has.

The servers never read these tables directly: `hopnhat.mail.maps.publish` writes them out as Postfix tables and
Dovecot passwd-files (docs/decisions.md, "Mail: maps written from the platform").
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from hopnhat.core.outbox import OutboxMessageBase
from hopnhat.core.text import nfc
from hopnhat.org.models import Agency, Person


class DomainKind(models.TextChoices):
    PRIMARY = "primary", "Tên miền chính (primary domain)"
    OLD = "old", "Tên miền cũ, chuyển tiếp (old domain, forwarded)"


class MailDomain(models.Model):
    """A domain the platform answers for. A primary domain serves an agency's subtree (tuyenquang.gov.vn for the
    whole province); an old domain (hagiang.gov.vn) is accepted as an alias domain while its addresses forward."""

    name = models.CharField(max_length=253, unique=True, help_text="ASCII (IDNA) lower case: tuyenquang.gov.vn")
    kind = models.CharField(max_length=10, choices=DomainKind.choices, default=DomainKind.PRIMARY)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="mail_domains",
                               help_text="primary: the agency whose subtree it serves; old: the agency that owned it")
    forward_until = models.DateField(null=True, blank=True,
                                     help_text="old domain: default end of the forwarding period of its addresses")
    source_system = models.CharField(max_length=100, blank=True, help_text="the old mail system (inventory code)")

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = "tên miền thư (mail domain)"
        verbose_name_plural = "tên miền thư (mail domains)"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.name.strip().lower().encode("idna").decode("ascii")
        super().save(*args, **kwargs)


class MailboxKind(models.TextChoices):
    PERSONAL = "personal", "Hộp thư cá nhân (personal)"
    SHARED = "shared", "Hộp thư dùng chung của cơ quan (shared, agency)"


class SharedRole(models.TextChoices):
    VAN_THU = "van_thu", "Văn thư (records office)"
    MOT_CUA = "mot_cua", "Bộ phận một cửa (one-door desk)"


class Mailbox(models.Model):
    """One address of the new organisation. Personal: one per official (the person of `org`), derived from the
    name by the configured pattern and numbered on collision; an administrator may override it (then it is never
    derived again). Shared: one per agency and role (văn thư, one-door desk). When the official's last
    membership ends the login closes and the mailbox is kept, still receiving."""

    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT, related_name="mailboxes")
    local_part = models.CharField(max_length=64)
    address = models.CharField(max_length=320, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=MailboxKind.choices, default=MailboxKind.PERSONAL)
    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="mailbox")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="mailboxes",
                               help_text="personal: the agency of the official's current membership; shared: owner")
    shared_role = models.CharField(max_length=10, choices=SharedRole.choices, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    login_open = models.BooleanField(default=True)
    password_hash = models.CharField(max_length=200, blank=True, help_text="Dovecot scheme: {BLF-CRYPT}$2b$…")
    overridden = models.BooleanField(default=False, help_text="address chosen by an administrator: never re-derived")
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "local_part"], name="mailbox_local_once"),
            models.UniqueConstraint(fields=["agency", "shared_role"], condition=models.Q(kind="shared"),
                                    name="shared_mailbox_once"),
        ]
        verbose_name = "hộp thư (mailbox)"
        verbose_name_plural = "hộp thư (mailboxes)"

    def __str__(self) -> str:
        return self.address

    def clean(self):
        if self.kind == MailboxKind.PERSONAL and not self.person_id:
            raise ValidationError({"person": "Hộp thư cá nhân cần một cán bộ / a personal mailbox needs a person"})
        if self.kind == MailboxKind.SHARED and not self.shared_role:
            raise ValidationError({"shared_role": "Hộp thư dùng chung cần vai trò / a shared mailbox needs a role"})

    def save(self, *args, **kwargs):
        self.local_part = self.local_part.strip().lower()
        self.display_name = nfc(self.display_name)
        self.address = f"{self.local_part}@{self.domain.name}"
        super().save(*args, **kwargs)


class OldAddress(models.Model):
    """An address of an old mail system and the mailbox that now answers for it. Until `forward_until` mail to it
    is delivered to the new mailbox (Postfix virtual_alias_maps); after it the SMTP answer is "user has moved to
    <new address>" (relocated_maps). `forwarding_on` is the cutover's switch: off while the old system still
    receives its own mail (before switch, after a route-back)."""

    address = models.CharField(max_length=320, unique=True)
    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT, related_name="old_addresses")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="old_addresses")
    source_system = models.CharField(max_length=100, blank=True)
    forward_until = models.DateField()
    forwarding_on = models.BooleanField(default=True)
    notify_senders = models.BooleanField(default=False,
                                         help_text="one notice of the new address per sender per period")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address"]
        indexes = [models.Index(fields=["forward_until"], name="oldaddr_until")]
        verbose_name = "địa chỉ cũ (old address)"
        verbose_name_plural = "địa chỉ cũ (old addresses)"

    def __str__(self) -> str:
        return f"{self.address} → {self.mailbox.address}"

    def state(self, today: datetime.date | None = None) -> str:
        """forwarding | moved (relocated) | off (the old system still in charge)."""
        if not self.forwarding_on:
            return "off"
        today = today or timezone.localdate()
        return "forwarding" if today <= self.forward_until else "moved"

    def save(self, *args, **kwargs):
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)


class FolderState(models.Model):
    """Incremental migration state of one folder of one old mailbox: the UIDVALIDITY seen and the highest UID
    whose message is known to be on the new server. Only identities and counters: never message content."""

    source = models.CharField(max_length=200, help_text="old server and login: imap.hagiang.gov.vn:143/an")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="migration_states")
    target_address = models.CharField(max_length=320)
    folder = models.CharField(max_length=500, help_text="the old folder's name, decoded (UTF-8)")
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0, help_text="messages in the old folder at the last run")
    target_messages = models.PositiveIntegerField(default=0, help_text="messages in the new folder after it")
    copied = models.PositiveIntegerField(default=0)
    already_there = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "folder"], name="folder_state_once")]
        ordering = ["source", "folder"]


class PersonContact(models.Model):
    """What the directory shows of an official beyond `org`'s record: work phone and address, and a personal
    mobile shown to colleagues only when its owner allowed it (Person.phone is never shown without that)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact")
    office_phone = models.CharField(max_length=30, blank=True)
    office_address = models.CharField(max_length=300, blank=True)
    room = models.CharField(max_length=50, blank=True)
    mobile = models.CharField(max_length=30, blank=True)
    mobile_shared = models.BooleanField(default=False, help_text="the owner allows colleagues to see the mobile")
    hidden = models.BooleanField(default=False, help_text="left out of the directory (protected staff)")

    class Meta:
        verbose_name = "liên hệ cán bộ (person contact)"
        verbose_name_plural = "liên hệ cán bộ (person contacts)"

    def save(self, *args, **kwargs):
        self.office_address = nfc(self.office_address)
        super().save(*args, **kwargs)


class AgencyContact(models.Model):
    """An agency's public contact point: what the public directory shows."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="contact")
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=300, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        verbose_name = "liên hệ cơ quan (agency contact)"
        verbose_name_plural = "liên hệ cơ quan (agency contacts)"

    def save(self, *args, **kwargs):
        self.address = nfc(self.address)
        super().save(*args, **kwargs)


class MovedNotice(OutboxMessageBase):
    """One notice to a sender who wrote to an old address during its forwarding period: "this address has moved
    to <new>" (core.outbox; key moved:<old>:<sender>:<period end>, so one per sender per period)."""

    old_address = models.ForeignKey(OldAddress, on_delete=models.CASCADE, related_name="notices")
    sender = models.CharField(max_length=320)

    class Meta(OutboxMessageBase.Meta):
        verbose_name = "thông báo địa chỉ mới (moved notice)"
