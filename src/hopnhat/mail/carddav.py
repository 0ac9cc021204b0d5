"""The CardDAV global address book: Radicale (a well-kept CardDAV server, run by mail.servers) serves files the
platform writes, so there is no hand-written WebDAV layer. One read-only collection, `/danhba/toanbo/`, holds a
vCard 4.0 per active agency and per official as staff see them (directory.Audience.STAFF); officials sign in with
their mail address and mail password (the same bcrypt hash Dovecot checks, in Radicale's htpasswd file).

Files are replaced one by one with a rename (a client never reads half a card); cards of people who left are
removed. `write_address_book()` rewrites everything (`hopnhat directory carddav`, the full LDAP sync);
`write_people(ids)` only those officials' cards (after a change commits).
"""

from __future__ import annotations

from pathlib import Path

from . import directory, servers
from .models import Mailbox

COLLECTION = "danhba/toanbo"


def book_dir(layout: servers.Layout) -> Path:
    return layout.root / "carddav" / "collections" / "collection-root" / COLLECTION


def configured(layout: servers.Layout | None = None) -> bool:
    layout = layout or servers.Layout.from_settings()
    return book_dir(layout).is_dir()


def _write_users(layout: servers.Layout) -> int:
    rows = [f"{address}:{hashed.removeprefix('{BLF-CRYPT}')}" for address, hashed in
            Mailbox.objects.filter(login_open=True).exclude(password_hash="").values_list("address", "password_hash")
            if hashed.startswith("{BLF-CRYPT}")]
    servers.atomic_write(layout.root / "carddav" / "users", "".join(f"{r}\n" for r in rows), mode=0o640)
    return len(rows)


def _cards(person_ids=None) -> dict[str, str]:
    cards = {}
    if person_ids is None:
        for a in directory.agencies():
            cards[f"{directory.agency_uid(a)}.vcf"] = directory.vcard_agency(a)
    for p in directory.people(directory.Audience.STAFF, person_ids=person_ids):
        cards[f"{directory.person_uid(p)}.vcf"] = directory.vcard_person(p)
    return cards


def write_address_book(layout: servers.Layout | None = None) -> dict:
    layout = layout or servers.Layout.from_settings()
    if not configured(layout):
        return {"configured": False}
    folder = book_dir(layout)
    cards = _cards()
    written = 0
    for name, text in cards.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            servers.atomic_write(path, text, mode=0o644)
            written += 1
    removed = 0
    for path in folder.glob("*.vcf"):
        if path.name not in cards:
            path.unlink()
            removed += 1
    return {"configured": True, "cards": len(cards), "written": written, "removed": removed,
            "users": _write_users(layout), "url": f"http://127.0.0.1:{layout.carddav_port}/{COLLECTION}/"}


def write_people(person_ids, layout: servers.Layout | None = None) -> dict:
    layout = layout or servers.Layout.from_settings()
    if not configured(layout):
        return {"configured": False}
    folder = book_dir(layout)
    cards = _cards(person_ids)
    for name, text in cards.items():
        servers.atomic_write(folder / name, text, mode=0o644)
    gone = [pk for pk in person_ids if f"hopnhat-person-{pk}.vcf" not in cards]
    for pk in gone:
        (folder / f"hopnhat-person-{pk}.vcf").unlink(missing_ok=True)
    _write_users(layout)
    return {"configured": True, "written": len(cards), "removed": len(gone)}
