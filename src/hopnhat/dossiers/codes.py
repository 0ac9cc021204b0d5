"""Dossier codes in the national form V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX (TT 01/2018/TT-VPCP Art. 19):
the receiving agency's identifier, the day of receipt, and that day's sequence number at that agency.

One allocator (`next_code`) hands numbers out; codes that old systems already issued are reserved with it
(`reserve_issued`): the day's counter of that agency is raised to the highest number issued, under the same row
lock, so neither an import nor a live reception can hand an issued number to another dossier."""

import datetime
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from hopnhat.org.models import Agency

from .models import DailyCounter, DossierAlias

CODE_PATTERN = re.compile(r"^(?P<unit>[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2})"
                          r"-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


def parts(code: str) -> tuple[str, datetime.date, int] | None:
    """(unit code, day, sequence number) of a national-form code; None for any other code (or an impossible day)."""
    match = CODE_PATTERN.match(normalise_code(code))
    if not match:
        return None
    try:
        day = datetime.datetime.strptime(match["day"], "%y%m%d").date()  # noqa: DTZ007 — a calendar day
    except ValueError:
        return None
    return match["unit"], day, int(match["seq"])


def reserve_issued(codes: Iterable[str]) -> int:
    """Reserve national-form codes an old system issued: each (unit, day) counter is raised to at least the
    highest number issued, rows locked in a fixed order (no deadlock between two importers), so every number
    the allocator gives out later is above them. Returns how many existing counters were raised."""
    highest: dict[tuple[str, datetime.date], int] = {}
    for code in codes:
        found = parts(code)
        if found:
            unit, day, seq = found
            highest[unit, day] = max(seq, highest.get((unit, day), 0))
    if not highest:
        return 0
    with transaction.atomic():
        # three statements whatever the batch: the missing counters made at their highest number, every counter
        # of the batch's units and days locked (in one order), those below their highest number raised
        DailyCounter.objects.bulk_create([DailyCounter(unit_code=u, day=d, last=n) for (u, d), n in highest.items()],
                                         ignore_conflicts=True)
        below = [c for c in DailyCounter.objects.select_for_update().filter(
                 unit_code__in={u for u, _ in highest}, day__in={d for _, d in highest}).order_by("unit_code", "day")
                 if c.last < highest.get((c.unit_code, c.day), 0)]
        for counter in below:
            counter.last = highest[counter.unit_code, counter.day]
        DailyCounter.objects.bulk_update(below, ["last"], batch_size=500)
    return len(below)


def next_code(agency: Agency, day: datetime.date | None = None) -> str:
    """A fresh code for a dossier `agency` receives on `day`. The counter row is locked for the increment
    (SELECT … FOR UPDATE on PostgreSQL, the write lock on SQLite), so concurrent receptions never share a
    number; a number an imported dossier already holds is skipped."""
    if not agency.code:
        raise ValueError(f"cơ quan “{agency.name}” chưa có mã định danh / agency {agency.pk} has no identifier code")
    day = day or timezone.localdate()
    with transaction.atomic():
        DailyCounter.objects.get_or_create(unit_code=agency.code, day=day)
        counter = DailyCounter.objects.select_for_update().get(unit_code=agency.code, day=day)
        while True:
            counter.last += 1
            code = f"{agency.code}-{day:%y%m%d}-{counter.last:04d}"
            if not DossierAlias.objects.filter(code=code).exists():
                break
        counter.save(update_fields=["last"])
    return code
