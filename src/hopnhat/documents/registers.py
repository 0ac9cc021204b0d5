"""Register numbers: số đến on registration, số đi on issue, one series per agency, kind and year (secret documents
their own), never given twice. The register row is the counter and is locked for the increment (SELECT … FOR
UPDATE on PostgreSQL, the write lock on SQLite), so parallel registrations never share a number; a number an
imported entry already holds is skipped. Called by documents.actions inside its transaction."""

from django.db import IntegrityError, transaction

from hopnhat.org.models import Agency

from .models import Entry, Kind, Register

_NAMES = {Kind.INCOMING: "Sổ đăng ký văn bản đến", Kind.OUTGOING: "Sổ đăng ký văn bản đi",
          Kind.INTERNAL: "Sổ đăng ký văn bản nội bộ"}


def register_for(agency: Agency, kind: str, year: int, secret: bool = False) -> Register:
    """The agency's register of `kind` for `year`, opened when missing."""
    name = f"{_NAMES[kind]}{' mật' if secret else ''} năm {year} — {agency.name}"
    try:
        with transaction.atomic():
            register, _ = Register.objects.get_or_create(agency=agency, kind=kind, year=year, secret=secret,
                                                         defaults={"name": name})
    except IntegrityError:   # opened by a parallel registration between our look-up and insert
        register = Register.objects.get(agency=agency, kind=kind, year=year, secret=secret)
    return register


def next_number(agency: Agency, kind: str, year: int, secret: bool = False) -> tuple[Register, int]:
    """(register, the next free number in it). Must run inside the transaction that stores the number."""
    register = register_for(agency, kind, year, secret)
    with transaction.atomic():
        register = Register.objects.select_for_update().get(pk=register.pk)
        if register.closed:
            raise ValueError(f"“{register}” đã đóng sổ, không cấp số / the register is closed")
        number = register.last_number
        while True:
            number += 1
            if not Entry.objects.filter(register=register, number=number).exists():
                break
        register.last_number = number
        register.save(update_fields=["last_number"])
    return register, number


def take_number(register: Register, number: int) -> None:
    """An imported entry holds `number` in `register`: the counter moves past it so it is never given again."""
    Register.objects.filter(pk=register.pk, last_number__lt=number).update(last_number=number)
