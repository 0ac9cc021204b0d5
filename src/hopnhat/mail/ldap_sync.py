"""The directory in slapd (ldap3): the new organisation's agencies as a tree of organizationalUnit entries, each
official as an `inetOrgPerson` under the agency of their current membership, with what staff may see (work
contacts; a mobile only where its owner allowed it). Mail clients bind read-only as `cn=reader`.

    ou=000.00.02.H60,ou=000.00.00.H60,dc=hopnhat,dc=vn          Sở Nội vụ (description, phone, address)
    uid=p42,ou=000.00.02.H60,ou=000.00.00.H60,dc=hopnhat,dc=vn  Nguyễn Văn An (mail, title, telephoneNumber…)

`sync(full=True)` compares every entry with what the platform says and reports the differences (added /
modified / deleted), with `dry_run` to only report; `sync_people(ids)` does the same for a few officials and is
what the signals call after a change commits, so LDAP follows the platform within about a second.
"""

from __future__ import annotations

import logging

from django.db import transaction

from . import directory, servers

log = logging.getLogger(__name__)
PERSON_CLASSES = ["inetOrgPerson", "organizationalPerson", "person", "top"]
OU_CLASSES = ["organizationalUnit", "top"]


def configured(layout: servers.Layout | None = None) -> bool:
    layout = layout or servers.Layout.from_settings()
    return layout.slapd_conf.exists() and servers.port_open(layout.ldap_port)


def connect(layout: servers.Layout | None = None, *, reader: bool = False):
    import ldap3

    layout = layout or servers.Layout.from_settings()
    server = ldap3.Server(layout.ldap_url, get_info=ldap3.NONE, connect_timeout=5)
    user, password = ((layout.ldap_reader_dn, layout.secret("ldap_reader")) if reader
                      else (layout.ldap_admin_dn, layout.secret("ldap_admin")))
    return ldap3.Connection(server, user=user, password=password, auto_bind=True, raise_exceptions=True)


def _rdn_value(value: str) -> str:
    from ldap3.utils.dn import escape_rdn

    return escape_rdn(value)


def _agency_dns(entries: list[directory.AgencyEntry], suffix: str) -> dict[int, str]:
    by_pk = {e.pk: e for e in entries}
    dns: dict[int, str] = {}

    def dn(entry):
        if entry.pk not in dns:
            parent = by_pk.get(entry.parent_pk)
            base = dn(parent) if parent else suffix
            dns[entry.pk] = f"ou={_rdn_value(entry.code or f'a{entry.pk}')},{base}"
        return dns[entry.pk]

    for entry in entries:
        dn(entry)
    return dns


def _clean(attrs: dict) -> dict:
    return {k: (v if isinstance(v, list) else [v]) for k, v in attrs.items() if v not in ("", None, [])}


def _suffix_entries(layout: servers.Layout) -> dict[str, dict]:
    import base64
    import hashlib
    import os

    first = layout.ldap_suffix.split(",")[0]
    kind, _, value = first.partition("=")
    base = {"objectClass": ["top", "dcObject", "organization"], "o": ["hopnhat"], kind: [value]}
    salt = os.urandom(8)
    digest = hashlib.sha1(layout.secret("ldap_reader").encode() + salt).digest()  # noqa: S324 — slapd's SSHA
    reader = {"objectClass": ["organizationalRole", "simpleSecurityObject"], "cn": ["reader"],
              "userPassword": ["{SSHA}" + base64.b64encode(digest + salt).decode()],
              "description": ["read-only bind for mail clients / tài khoản chỉ đọc cho phần mềm thư"]}
    return {layout.ldap_suffix: base, layout.ldap_reader_dn: reader}


def desired(layout: servers.Layout, person_ids=None) -> dict[str, dict]:
    agencies = directory.agencies()
    dns = _agency_dns(agencies, layout.ldap_suffix)
    out: dict[str, dict] = {}
    if person_ids is None:
        for a in agencies:
            out[dns[a.pk]] = _clean({"objectClass": OU_CLASSES, "ou": a.code or f"a{a.pk}", "description": a.name,
                                     "telephoneNumber": a.phone, "postalAddress": a.address.replace("\n", " $ ")})
    for p in directory.people(directory.Audience.STAFF, person_ids=person_ids):
        if p.agency_pk not in dns:
            continue
        out[f"uid=p{p.pk},{dns[p.agency_pk]}"] = _clean({
            "objectClass": PERSON_CLASSES, "uid": f"p{p.pk}", "cn": p.full_name, "sn": p.family or p.full_name,
            "givenName": p.given, "displayName": p.full_name, "mail": p.email, "title": p.title,
            "ou": p.agency_name, "telephoneNumber": p.office_phone, "mobile": p.mobile,
            "street": p.office_address, "employeeNumber": str(p.pk), "preferredLanguage": "vi"})
    return out


# The attributes the platform writes: only these are read back and compared (an attribute another tool added is
# left alone), and reading fewer is most of a resync's time.
MANAGED = ["objectClass", "ou", "description", "telephoneNumber", "postalAddress", "uid", "cn", "sn", "givenName",
           "displayName", "mail", "title", "mobile", "street", "employeeNumber", "preferredLanguage"]


def _current(conn, base: str, search_filter: str = "(|(objectClass=organizationalUnit)(objectClass=inetOrgPerson))"):
    """Every entry under base, read in pages of 2,000 as raw values (no per-entry objects)."""
    import ldap3

    out = {}
    for item in conn.extend.standard.paged_search(base, search_filter, search_scope=ldap3.SUBTREE,
                                                  attributes=MANAGED, paged_size=2000, generator=True):
        if item.get("type") != "searchResEntry":
            continue
        out[item["dn"]] = {k: [v.decode() if isinstance(v, bytes) else str(v) for v in vals]
                           for k, vals in item["raw_attributes"].items() if vals}
    return out


def _same(want: list[str], have: list[str], attr: str) -> bool:
    if attr.lower() == "objectclass":
        return {v.lower() for v in want} == {v.lower() for v in have}
    return sorted(want) == sorted(have)


def _apply(conn, want: dict[str, dict], have: dict[str, dict], dry_run: bool, delete_missing: bool = True) -> dict:
    import ldap3

    have_lower = {dn.lower(): dn for dn in have}
    added, modified, deleted = [], [], []
    for dn in sorted(want, key=lambda d: d.count(",")):
        attrs = want[dn]
        existing_dn = have_lower.get(dn.lower())
        if existing_dn is None:
            added.append(dn)
            if not dry_run:
                conn.add(dn, attributes=attrs)
            continue
        current = {k.lower(): (k, v) for k, v in have[existing_dn].items()}
        changes = {}
        for attr, values in attrs.items():
            if attr == "objectClass":
                continue
            if attr.lower() not in current or not _same(values, current[attr.lower()][1], attr):
                changes[attr] = [(ldap3.MODIFY_REPLACE, values)]
        for key, (name, _) in current.items():
            if key not in {a.lower() for a in attrs} and key != "objectclass":
                changes[name] = [(ldap3.MODIFY_DELETE, [])]
        if changes:
            modified.append({"dn": dn, "attributes": sorted(changes)})
            if not dry_run:
                conn.modify(existing_dn, changes)
    if delete_missing:
        want_lower = {dn.lower() for dn in want}
        for dn in sorted(have, key=lambda d: -d.count(",")):
            if dn.lower() not in want_lower:
                deleted.append(dn)
                if not dry_run:
                    conn.delete(dn)
    return {"added": added, "modified": modified, "deleted": deleted}


def sync(*, full: bool = True, dry_run: bool = False, layout: servers.Layout | None = None) -> dict:
    """Make slapd say what the platform says; returns the differences found (and fixed unless dry_run)."""
    layout = layout or servers.Layout.from_settings()
    with connect(layout) as conn:
        import ldap3
        from ldap3.core.exceptions import LDAPNoSuchObjectResult

        for dn, attrs in _suffix_entries(layout).items():
            try:
                conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["cn"])
            except LDAPNoSuchObjectResult:
                if dry_run:
                    return {"full": full, "dry_run": True, "entries": None, "counts": {}, "missing_base": dn}
                conn.add(dn, attributes=attrs)
        want = desired(layout)
        have = _current(conn, layout.ldap_suffix)
        have.pop(layout.ldap_suffix, None)
        result = _apply(conn, want, have, dry_run)
    return {"full": full, "dry_run": dry_run, "entries": len(want),
            "counts": {k: len(v) for k, v in result.items()}, **result}


def sync_people(person_ids, layout: servers.Layout | None = None) -> dict:
    """Bring the entries of these officials up to date (moved agency, new title, left the organisation)."""
    layout = layout or servers.Layout.from_settings()
    ids = sorted(set(person_ids))
    with connect(layout) as conn:
        want = desired(layout, person_ids=ids)
        numbers = "".join(f"(employeeNumber={i})" for i in ids)
        have = _current(conn, layout.ldap_suffix, f"(&(objectClass=inetOrgPerson)(|{numbers}))")
        return _apply(conn, want, have, dry_run=False)


def _ldif_value(attr: str, value: str) -> str:
    import base64

    if not value.isascii() or value[:1] in {" ", ":", "<"} or value.endswith(" "):
        return f"{attr}:: {base64.b64encode(value.encode()).decode()}"
    return f"{attr}: {value}"


def export_ldif(layout: servers.Layout | None = None, agency=None) -> str:
    """The same entries as LDIF (RFC 2849), for another directory to import."""
    layout = layout or servers.Layout.from_settings()
    want = desired(layout)
    if agency is not None:
        dns = _agency_dns(directory.agencies(), layout.ldap_suffix)
        root = dns.get(agency.pk, "").lower()
        want = {dn: a for dn, a in want.items() if dn.lower().endswith(root)}
    blocks = []
    for dn in sorted(want, key=lambda d: (d.count(","), d)):
        lines = [_ldif_value("dn", dn)] + [_ldif_value(attr, v) for attr, values in want[dn].items() for v in values]
        blocks.append("\n".join(lines))
    return "version: 1\n\n" + "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------- after a change


def schedule_people(person_ids) -> None:
    """Sync these officials once the transaction commits (signals); LDAP down never blocks the platform: the
    next `hopnhat directory sync-ldap --full` reports and repairs what was missed."""
    ids = set(person_ids)
    if not ids:
        return

    def run():
        from . import carddav

        try:
            carddav.write_people(ids)
            if configured():
                sync_people(ids)
        except Exception:  # noqa: BLE001
            log.warning("LDAP/CardDAV sync of people %s failed; run `hopnhat directory sync-ldap --full`",
                        sorted(ids), exc_info=True)

    transaction.on_commit(run)


def schedule_full() -> None:
    """A change to an agency (name, place in the tree, contact point) moves whole subtrees: full sync on commit,
    once per transaction."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _full_on_commit for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_full_on_commit)


def _full_on_commit() -> None:
    from . import carddav

    try:
        carddav.write_address_book()
        if configured():
            sync()
    except Exception:  # noqa: BLE001
        log.warning("LDAP full sync failed; run `hopnhat directory sync-ldap --full`", exc_info=True)
