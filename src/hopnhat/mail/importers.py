"""`mail.old_addresses`: the addresses of the old mail systems, from the lists IT teams have (CSV or Excel user
lists, LDIF exports of the old directory, Postfix virtual / aliases files), each tied to the mailbox that answers
for it now. Run by the consolidation engine (`hopnhat consolidate run mail-hagiang.yaml`):

    system: mail-hagiang
    system_type: email
    importer: mail.old_addresses
    source: {kind: ldif, path: hagiang-users.ldif, object_class: inetOrgPerson}
    fields: {old_address: mail, person_key: employeeNumber, full_name: cn}
    options: {people_system: hr-hagiang, forward_until: 2026-07-01}

The owner is found, in this order, through what the platform already knows (never by name alone):
    new_address     an explicit new address of the platform
    person_key      the old HR record the people import (org.people, `options.people_system`) made a person of
    national_id_hash  the same person by ID number (a `pii:` column)
    the person whose HR record carried this old address (Person.email, from the people import)
    an old address already imported that this one forwards to (Postfix virtual/aliases targets)
    agency_code     the successor agency's shared văn thư address (org.agencies: closed → the agency acting now)
A person of the new organisation without a mailbox yet gets one first (addresses.refresh_person). Anything else is
quarantined with the reason, never guessed.

Mapped fields: old_address (required), also (more old addresses of the same owner, space or comma separated),
new_address, person_key, national_id_hash, agency_code, forward_until (date), notify (bool).
"""

from __future__ import annotations

import ast
import datetime
import re

from hopnhat.consolidation.api import DomainImporter, MappingError, loaded, merged, quarantined, register_importer
from hopnhat.consolidation.mapping import parse_date
from hopnhat.core.provenance import find_target
from hopnhat.org.models import Person

from . import addresses, forwards
from .models import Mailbox, MailboxKind, OldAddress, SharedRole

_SPLIT = re.compile(r"[\s,;]+")


def _as_list(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:  # a list-valued source column (LDIF `mail_all`) through a text field of the mapping
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
    if isinstance(value, list | tuple):
        return [str(v).strip().lower() for v in value if str(v).strip()]
    return [v.lower() for v in _SPLIT.split(str(value)) if v]


@register_importer
class OldAddressImporter(DomainImporter):
    name = "mail.old_addresses"
    target_model = "mail.OldAddress"
    reconcile_fields = {"address": "old_address"}
    reconcile_exclude = {
        "person_key": "khóa người trong lần nhập nhân sự, tra thành người (Person) / the person's key in the staff "
                      "import, resolved to the person",
        "also": "các địa chỉ khác của cùng tài khoản, mỗi địa chỉ thành một bản ghi địa chỉ cũ / the account's "
                "other addresses, each becomes an old address of its own",
        "agency_code": "mã cơ quan, tra qua danh mục cơ quan để lấy địa chỉ chung của cơ quan kế thừa / the "
                       "agency's code, resolved through the crosswalk to the successor's shared address",
    }

    def prepare(self, ctx):
        options = ctx.mapping.options or {}
        self.people_system = options.get("people_system", "")
        until = options.get("forward_until")
        self.until = parse_date(until) if until else None
        self.notify = bool(options.get("notify_senders", False))

    def _mailbox_of(self, person: Person) -> Mailbox | None:
        mailbox = Mailbox.objects.filter(person=person).first()
        if mailbox is None:
            addresses.refresh_person(person.pk, actor="system:mail.import")
            mailbox = Mailbox.objects.filter(person=person).first()
        return mailbox

    def _owner(self, record, mapped, ctx) -> tuple[Mailbox | None, str]:
        old = mapped["old_address"]
        if target := (mapped.get("new_address") or "").strip().lower():
            mailbox = Mailbox.objects.filter(address=target).first()
            if mailbox is None:
                raise MappingError("new_address", f"không có hộp thư mới “{target}” / no new mailbox {target}")
            return mailbox, "new_address"
        person = None
        if key := mapped.get("person_key"):
            if not self.people_system:
                raise MappingError("person_key", "cần options.people_system (hệ thống nhân sự đã nhập) "
                                                 "/ options.people_system is needed")
            person = find_target(Person, source_system=self.people_system, source_key=str(key))
        if person is None and mapped.get("national_id_hash"):
            person = Person.objects.filter(national_id_hash=mapped["national_id_hash"]).order_by("pk").first()
        if person is None:
            person = Person.objects.filter(email=old).order_by("pk").first()
        if person is not None:
            mailbox = self._mailbox_of(person)
            if mailbox is None:
                raise MappingError("person_key", f"{person.full_name} chưa có hộp thư mới (không còn công tác "
                                                 f"hoặc cơ quan chưa có tên miền) / has no new mailbox")
            return mailbox, "person"
        for target in _as_list(record.data.get("targets")):
            if target == old:
                continue
            forwarded = OldAddress.objects.filter(address=target).select_related("mailbox").first()
            if forwarded is not None:
                return forwarded.mailbox, "forwarded"
            if mailbox := Mailbox.objects.filter(address=target).first():
                return mailbox, "forwarded"
            holder = Person.objects.filter(email=target).order_by("pk").first()
            if holder is not None and (mailbox := self._mailbox_of(holder)):
                return mailbox, "person"
        if code := mapped.get("agency_code"):
            agency = ctx.crosswalk_agency(code)
            if agency is None:
                raise MappingError("agency_code", f"không có cơ quan mã “{code}” / no agency with code {code}")
            mailbox = Mailbox.objects.filter(kind=MailboxKind.SHARED, agency=agency,
                                             shared_role=SharedRole.VAN_THU).first()
            if mailbox is None:
                raise MappingError("agency_code", f"{agency.name} chưa có địa chỉ văn thư (hopnhat mail provision) "
                                                  f"/ has no shared address yet")
            return mailbox, "agency"
        return None, ""

    def import_record(self, record, mapped, ctx):
        old = (mapped.get("old_address") or "").strip().lower()
        mapped["old_address"] = old
        if not old:
            return quarantined("thiếu địa chỉ cũ / old address is empty")
        try:
            forwards.split(old)
        except forwards.ForwardError as exc:
            return quarantined(str(exc))
        mailbox, how = self._owner(record, mapped, ctx)
        if mailbox is None:
            return quarantined(f"{old}: không tìm được chủ mới (không có người, thư chuyển tiếp hay cơ quan kế thừa "
                               f"tương ứng) / no new owner found")
        until = mapped.get("forward_until")
        if until is not None and not isinstance(until, datetime.date):
            until = parse_date(until)
        ours = find_target(OldAddress, source_system=ctx.mapping.system, source_key=record.key)
        existed = ours is None and OldAddress.objects.filter(address=old).exists()
        try:
            made, _ = forwards.add_old_address(old, mailbox, actor=ctx.actor, source_system=ctx.mapping.system,
                                               forward_until=until or self.until, note=f"{ctx.label(record)} ({how})")
            for extra in _as_list(mapped.get("also")):
                if extra != old:
                    forwards.add_old_address(extra, mailbox, actor=ctx.actor, source_system=ctx.mapping.system,
                                             forward_until=until or self.until)
        except forwards.ForwardError as exc:
            return quarantined(str(exc))
        if self.notify and not made.notify_senders:
            made.notify_senders = True
            made.save(update_fields=["notify_senders"])
        if existed:
            return merged(made, "địa chỉ cũ đã có / old address already known", new=mailbox.address, via=how)
        return loaded(made, new=mailbox.address, via=how)
