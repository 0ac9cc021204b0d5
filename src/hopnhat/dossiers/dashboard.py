"""On time or late, per agency: the one-stop statistics (đúng hạn / quá hạn) over the dossiers a user may see.

Overdue is derived, never stored (standards doc A.3): a dossier decided after its due date was finished late; an
open one past its due date is overdue today. The due date comes from the working-day calendar when the dossier is
received (workdays.py), so Tết, 30/4–1/5 and 2/9 are already in it and a hand-over never moves it. Everything is
counted in the database, one grouped query, so the page stays fast at millions of dossiers.
"""

import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from hopnhat.org.models import Agency

from .models import IN_PROGRESS, Status
from .worklist import overdue_q, visible_dossiers

# Decided with a result: what the on-time rate is about. Refused, withdrawn and stopped dossiers are counted apart.
FINISHED = frozenset({Status.DONE, Status.RETURNED})
COLUMNS = ["finished_on_time", "finished_late", "open_on_time", "open_overdue", "other"]
LABELS = {
    "finished_on_time": ("Đã giải quyết đúng hạn", "Finished on time"),
    "finished_late": ("Đã giải quyết quá hạn", "Finished late"),
    "open_on_time": ("Đang giải quyết trong hạn", "In progress, on time"),
    "open_overdue": ("Đang giải quyết quá hạn", "In progress, overdue"),
    "other": ("Từ chối, rút, dừng xử lý", "Refused, withdrawn, stopped"),
}


def counts_by_agency(user, today: datetime.date | None = None, since: datetime.date | None = None,
                     until: datetime.date | None = None) -> dict[str, Any]:
    """{"today", "since", "until", "agencies": [row per agency handling dossiers], "total": row}; a row has the
    five COLUMNS, "total" and "on_time_rate": finished on time / (finished + open and already overdue), None
    when there is neither — an overdue dossier is late whether or not it is finished yet.
    since/until restrict to dossiers received on those days (inclusive, Vietnam time)."""
    today = today or timezone.localdate()
    qs = visible_dossiers(user).order_by()
    if since:
        qs = qs.filter(received_at__date__gte=since)
    if until:
        qs = qs.filter(received_at__date__lte=until)
    # The day it was decided, in Vietnam time (TruncDate uses the current time zone), as Dossier.is_overdue has it.
    qs = qs.annotate(done_day=TruncDate("finished_at"))
    finished = Q(status__in=FINISHED)
    late = finished & Q(due_date__isnull=False, done_day__isnull=False, done_day__gt=F("due_date"))
    rows = qs.values("agency").annotate(
        finished_late=Count("pk", filter=late),
        finished_all=Count("pk", filter=finished),
        open_overdue=Count("pk", filter=overdue_q(today)),
        open_all=Count("pk", filter=Q(status__in=IN_PROGRESS)),
        total=Count("pk"),
    )
    agencies = Agency.objects.in_bulk([r["agency"] for r in rows])
    out = []
    for r in rows:
        agency = agencies[r["agency"]]
        row = {"agency_id": agency.pk, "agency_code": agency.code, "agency_name": agency.name,
               "agency_active": agency.is_active,
               "finished_on_time": r["finished_all"] - r["finished_late"], "finished_late": r["finished_late"],
               "open_on_time": r["open_all"] - r["open_overdue"], "open_overdue": r["open_overdue"],
               "total": r["total"]}
        row["other"] = r["total"] - r["finished_all"] - r["open_all"]
        out.append(_with_rate(row))
    out.sort(key=lambda row: (not row["agency_active"], row["agency_name"]))
    total = _with_rate({c: sum(row[c] for row in out) for c in [*COLUMNS, "total"]})
    return {"today": today.isoformat(), "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None, "agencies": out, "total": total}


def _with_rate(row: dict) -> dict:
    counted = row["finished_on_time"] + row["finished_late"] + row["open_overdue"]
    row["on_time_rate"] = round(row["finished_on_time"] / counted, 4) if counted else None
    return row
