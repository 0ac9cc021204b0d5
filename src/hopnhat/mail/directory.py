"""The electronic directory (danh bạ điện tử) of the new organisation, built on `org` (agencies, people,
memberships: the one source of truth) and the mail addresses. One set of entries feeds every channel: the web
directory, vCard 4.0 and LDIF exports, slapd (LDAP, `inetOrgPerson`) and the CardDAV address book.

Privacy (`Audience`): the public sees agencies and their contact points only; staff see officials' work contacts
(title, agency, work phone and address, mail address); a personal mobile only where its owner allowed it.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from hopnhat.core.text import fold, nfc
from hopnhat.org.models import Agency, AgencyStatus, Membership

from .models import Mailbox, MailboxKind, SharedRole


class Audience(enum.Enum):
    PUBLIC = "public"
    STAFF = "staff"


def audience_for(user) -> Audience:
    from hopnhat.org.access import is_staff_member

    return Audience.STAFF if is_staff_member(user) else Audience.PUBLIC


@dataclass
class AgencyEntry:
    pk: int
    name: str
    code: str
    parent_pk: int | None
    phone: str = ""
    address: str = ""
    website: str = ""
    email: str = ""             # the văn thư shared address
    one_door_email: str = ""
    children: list[AgencyEntry] = field(default_factory=list)


@dataclass
class PersonEntry:
    pk: int
    full_name: str
    family: str
    given: str
    title: str
    agency_pk: int
    agency_name: str
    email: str = ""
    office_phone: str = ""
    office_address: str = ""
    mobile: str = ""            # only filled when its owner allowed it


def _split_name(full_name: str) -> tuple[str, str]:
    words = nfc(full_name).split()
    if len(words) < 2:
        return full_name, ""
    return words[0], " ".join(words[1:])


def agencies(root: Agency | None = None) -> list[AgencyEntry]:
    """Active agencies (of a subtree) with their contact points, in tree order."""
    qs = Agency.objects.filter(status=AgencyStatus.ACTIVE).select_related("contact")
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    shared = {(m.agency_id, m.shared_role): m.address for m in
              Mailbox.objects.filter(kind=MailboxKind.SHARED).only("agency_id", "shared_role", "address")}
    out = []
    for agency in qs.order_by("path"):
        contact = getattr(agency, "contact", None)
        out.append(AgencyEntry(
            pk=agency.pk, name=agency.name, code=agency.code or "", parent_pk=agency.parent_id,
            phone=contact.phone if contact else "", address=contact.address if contact else "",
            website=contact.website if contact else "", email=shared.get((agency.pk, SharedRole.VAN_THU), ""),
            one_door_email=shared.get((agency.pk, SharedRole.MOT_CUA), "")))
    return out


def tree(entries: list[AgencyEntry]) -> list[AgencyEntry]:
    by_pk = {e.pk: e for e in entries}
    roots = []
    for entry in entries:
        entry.children = []
    for entry in entries:
        parent = by_pk.get(entry.parent_pk)
        (parent.children if parent else roots).append(entry)
    return roots


def people(audience: Audience, *, agency: Agency | None = None, person_ids=None,
           today: datetime.date | None = None) -> list[PersonEntry]:
    """Officials with a current membership in an active agency; nothing for the public."""
    if audience is not Audience.STAFF:
        return []
    today = today or timezone.localdate()
    qs = (Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=today), agency__status=AgencyStatus.ACTIVE)
          .exclude(person__contact__hidden=True)
          .select_related("person", "person__contact", "person__mailbox", "agency", "position")
          .order_by("person__name_key", "person_id", "-start", "-id"))
    if agency is not None:
        qs = qs.filter(agency__path__startswith=agency.path)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    out, seen = [], set()
    for m in qs:
        if m.person_id in seen:
            continue
        seen.add(m.person_id)
        person = m.person
        contact = getattr(person, "contact", None)
        mailbox = getattr(person, "mailbox", None)
        family, given = _split_name(person.full_name)
        mobile = ""
        if contact and contact.mobile_shared:
            mobile = contact.mobile or person.phone
        out.append(PersonEntry(
            pk=person.pk, full_name=person.full_name, family=family, given=given,
            title=m.title or (m.position.name if m.position_id else ""), agency_pk=m.agency_id,
            agency_name=m.agency.name, email=mailbox.address if mailbox else "",
            office_phone=contact.office_phone if contact else "",
            office_address=contact.office_address if contact else "", mobile=mobile))
    return out


def search(query: str, audience: Audience, limit: int = 50) -> dict:
    """Agencies and (for staff) people whose folded name, title or address holds every folded word of the query."""
    words = fold(query).split()
    if not words:
        return {"agencies": [], "people": []}
    found_agencies = [a for a in agencies() if all(w in fold(f"{a.name} {a.code} {a.address}") for w in words)]
    found_people = [p for p in people(audience)
                    if all(w in fold(f"{p.full_name} {p.title} {p.agency_name} {p.email}") for w in words)]
    return {"agencies": found_agencies[:limit], "people": found_people[:limit]}


# ---------------------------------------------------------------- vCard 4.0 (RFC 6350)


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n"))


def _fold_line(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF + space, never splitting a UTF-8 character."""
    raw = line.encode()
    if len(raw) <= 75:
        return line + "\r\n"
    out, chunk, limit = [], b"", 75
    for ch in line:
        enc = ch.encode()
        if len(chunk) + len(enc) > limit:
            out.append(chunk.decode())
            chunk, limit = b"", 74
        chunk += enc
    out.append(chunk.decode())
    return "\r\n ".join(out) + "\r\n"


def _card(lines: list[str]) -> str:
    return "".join(_fold_line(line) for line in ["BEGIN:VCARD", "VERSION:4.0", *lines, "END:VCARD"])


def person_uid(entry: PersonEntry) -> str:
    return f"hopnhat-person-{entry.pk}"


def agency_uid(entry: AgencyEntry) -> str:
    return f"hopnhat-agency-{entry.pk}"


def vcard_person(entry: PersonEntry) -> str:
    lines = [f"UID:urn:uuid:{_uuid(person_uid(entry))}", "KIND:individual", f"FN:{_escape(entry.full_name)}",
             f"N:{_escape(entry.family)};{_escape(entry.given)};;;", f"ORG:{_escape(entry.agency_name)}"]
    if entry.title:
        lines.append(f"TITLE:{_escape(entry.title)}")
    if entry.email:
        lines.append(f"EMAIL;TYPE=work:{entry.email}")
    if entry.office_phone:
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:tel:{entry.office_phone.replace(' ', '')}")
    if entry.mobile:
        lines.append(f"TEL;VALUE=uri;TYPE=cell:tel:{entry.mobile.replace(' ', '')}")
    if entry.office_address:
        lines.append(f"ADR;TYPE=work:;;{_escape(entry.office_address)};;;;Việt Nam")
    lines.append("LANG:vi")
    return _card(lines)


def vcard_agency(entry: AgencyEntry) -> str:
    lines = [f"UID:urn:uuid:{_uuid(agency_uid(entry))}", "KIND:org", f"FN:{_escape(entry.name)}",
             f"ORG:{_escape(entry.name)}"]
    if entry.code:
        lines.append(f"NOTE:Mã định danh {entry.code}")
    if entry.email:
        lines.append(f"EMAIL;TYPE=work:{entry.email}")
    if entry.one_door_email:
        lines.append(f"EMAIL;TYPE=work;PREF=2:{entry.one_door_email}")
    if entry.phone:
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:tel:{entry.phone.replace(' ', '')}")
    if entry.address:
        lines.append(f"ADR;TYPE=work:;;{_escape(entry.address)};;;;Việt Nam")
    if entry.website:
        lines.append(f"URL:{entry.website}")
    return _card(lines)


def _uuid(name: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://hopnhat/{name}"))


def export_vcards(audience: Audience, agency: Agency | None = None) -> str:
    cards = [vcard_agency(a) for a in agencies(agency)]
    cards += [vcard_person(p) for p in people(audience, agency=agency)]
    return "".join(cards)
