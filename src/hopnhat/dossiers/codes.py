"""Dossier codes in the national form V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX (TT 01/2018/TT-VPCP Art. 19):
the receiving agency's identifier, the day of receipt, and that day's sequence number at that agency."""

import datetime
import re

from django.db import transaction
from django.utils import timezone

from hopnhat.org.models import Agency

from .models import DailyCounter, DossierAlias

CODE_PATTERN = re.compile(r"^(?P<unit>[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2})"
                          r"-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


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
