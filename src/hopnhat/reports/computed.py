"""Indicators the platform computes from its own data, so those figures are never typed twice.

An indicator names its source in `computed_from`; `compute(period_code)` fills every such indicator for the
period from the dossiers' dashboard query (dossiers.dashboard.counts_by_agency, the one-stop statistics the
dossier pages show), stored against each agency's unit: the unit total ("") and one figure per agency
(disaggregation "agency:<mã định danh>")."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from hopnhat.dossiers import dashboard
from hopnhat.org.models import Agency

from . import periods
from .collection import record_values
from .models import Indicator

# source → how a dashboard row gives the figure
SOURCES = {
    "dossiers.received": lambda r: r["total"],
    "dossiers.finished_on_time": lambda r: r["finished_on_time"],
    "dossiers.finished_late": lambda r: r["finished_late"],
    "dossiers.overdue": lambda r: r["finished_late"] + r["open_overdue"],
    "dossiers.open_overdue": lambda r: r["open_overdue"],
}


class _Platform:
    """The platform itself as the dashboard's viewer: every agency (org.access treats it as a live superuser)."""

    is_authenticated = is_active = is_superuser = True
    pk = None
    username = "system:reports-computed"

    def __str__(self):
        return self.username


def compute(period_code: str, actor="system:reports-computed", today: datetime.date | None = None) -> dict:
    period = periods.parse(period_code)
    indicators = list(Indicator.objects.filter(computed_from__in=SOURCES))
    if not indicators:
        return {"period": period.code, "indicators": [], "stored": 0, "skipped_agencies": []}
    today = today or timezone.localdate()
    counts = dashboard.counts_by_agency(_Platform(), today=min(today, period.end), since=period.start,
                                        until=period.end)
    agencies = Agency.objects.select_related("unit").in_bulk([r["agency_id"] for r in counts["agencies"]])
    rows, skipped = [], []
    for indicator in indicators:
        fn = SOURCES[indicator.computed_from]
        per_unit: dict = defaultdict(Decimal)
        units = {}
        for row in counts["agencies"]:
            agency = agencies[row["agency_id"]]
            if agency.unit_id is None:
                skipped.append(agency.code)
                continue
            value = Decimal(fn(row))
            units[agency.unit_id] = agency.unit
            per_unit[agency.unit_id] += value
            rows.append((indicator, agency.unit, agency, period.code, f"agency:{agency.code}", value))
        rows += [(indicator, units[u], None, period.code, "", v) for u, v in per_unit.items()]
    stored = record_values(rows, "computed", actor)
    return {"period": period.code, "indicators": [i.code for i in indicators], "stored": stored,
            "skipped_agencies": sorted(set(skipped))}
