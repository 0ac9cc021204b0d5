"""The processing clock, one rule for the look-up, the staff pages and the dashboard.

The clock runs from reception in working days (hopnhat.core.workdays) and pauses while the dossier waits on the
applicant: from the request to supplement the dossier (status 5) until it is answered. When it resumes, the due
date moves later by the working days it stood still, in the same transaction as the step that resumed it (the
audit entry says from which date to which). A paused dossier is never overdue and has no days left counted: it is
"tạm dừng, chờ bổ sung". Everything else reads Dossier.due_date as it stands.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from hopnhat.core.workdays import add_working_days, working_days_between

from .models import IN_PROGRESS, Dossier, DossierEvent, Status

# Waiting on the applicant: the clock stands still.
PAUSED = frozenset({Status.SUPPLEMENT})
RUNNING = frozenset(IN_PROGRESS - PAUSED)


def is_paused(dossier: Dossier) -> bool:
    return dossier.status in PAUSED


def overdue_q(today: datetime.date) -> Q:
    """Open dossiers whose clock runs and is past the due date today (the database form of is_overdue)."""
    return Q(status__in=RUNNING, due_date__lt=today)


def is_overdue(dossier: Dossier, today: datetime.date | None = None) -> bool:
    """Quá hạn is derived, never stored: finished after the due date, or still running past it."""
    if dossier.due_date is None:
        return False
    if dossier.finished_at is not None:
        return timezone.localdate(dossier.finished_at) > dossier.due_date
    if dossier.status not in RUNNING:
        return False
    return (today or timezone.localdate()) > dossier.due_date


def working_days_left(dossier: Dossier, today: datetime.date | None = None) -> int | None:
    """Working days until the due date (negative once late); None when closed, paused or without a due date."""
    if dossier.status not in RUNNING or dossier.due_date is None:
        return None
    return working_days_between(today or timezone.localdate(), dossier.due_date)


def paused_since(dossier: Dossier) -> datetime.datetime | None:
    """When the current pause began: the last step that put the dossier into a paused status."""
    if dossier.status not in PAUSED:
        return None
    return (DossierEvent.objects.filter(dossier_id=dossier.pk, status_to__in=PAUSED)
            .order_by("-at", "-id").values_list("at", flat=True).first())


def resumed_due_date(due: datetime.date, paused_at: datetime.datetime, resumed_at: datetime.datetime
                     ) -> tuple[datetime.date, int]:
    """(new due date, paused working days): the working days after the pause's day up to the day it ended."""
    paused = max(0, working_days_between(timezone.localdate(paused_at), timezone.localdate(resumed_at)))
    return (add_working_days(due, paused) if paused else due), paused


def resume(dossier: Dossier, status_from: int, at: datetime.datetime) -> dict:
    """Called by actions.transition (dossier locked) when a step takes the dossier out of a pause: moves the due
    date and returns what the audit entry should say ({} when nothing moved)."""
    if status_from not in PAUSED or dossier.status in PAUSED or dossier.due_date is None:
        return {}
    started = (DossierEvent.objects.filter(dossier_id=dossier.pk, status_to__in=PAUSED)
               .order_by("-at", "-id").values_list("at", flat=True).first())
    if started is None:
        return {}
    before = dossier.due_date
    dossier.due_date, paused = resumed_due_date(before, started, at)
    if not paused:
        return {}
    return {"paused_working_days": paused, "due_date_from": before.isoformat(),
            "due_date_to": dossier.due_date.isoformat()}
