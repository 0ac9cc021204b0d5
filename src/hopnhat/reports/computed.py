"""Indicators the platform computes from its own data, so those figures are never typed twice.

An indicator names its source in `computed_from`; `compute(period_code)` fills every such indicator for the
period, stored against each agency's unit: the unit total ("") and one figure per agency (disaggregation
"agency:<mã định danh>"). Two families of sources:

- `dossiers.*` from the dossiers' dashboard query (dossiers.dashboard.counts_by_agency, the one-stop statistics
  the dossier pages show): dossiers received in the period, finished on time / late, overdue;
- `documents.*` from the document registers (documents.models.Entry): incoming documents with a due date
  (thời hạn giải quyết) registered in the period, done by it / after it, overdue (done late, or still open past
  it on the period's last day). A document marked done without a completion time counts as received but
  neither on time nor late: nothing is guessed."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from hopnhat.core.lang import vi_en
from hopnhat.documents.models import OPEN_INCOMING, Entry, IncomingState, Kind
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
    "documents.received": lambda r: r["total"],
    "documents.done_on_time": lambda r: r["finished_on_time"],
    "documents.done_late": lambda r: r["finished_late"],
    "documents.overdue": lambda r: r["finished_late"] + r["open_overdue"],
    "documents.open_overdue": lambda r: r["open_overdue"],
}

LABELS = {
    "dossiers.received": vi_en("hồ sơ TTHC tiếp nhận trong kỳ", "dossiers received in the period"),
    "dossiers.finished_on_time": vi_en("hồ sơ TTHC giải quyết đúng hạn", "dossiers decided on time"),
    "dossiers.finished_late": vi_en("hồ sơ TTHC giải quyết quá hạn", "dossiers decided late"),
    "dossiers.overdue": vi_en("hồ sơ TTHC quá hạn (đã và đang giải quyết)", "dossiers overdue (decided or open)"),
    "dossiers.open_overdue": vi_en("hồ sơ TTHC đang giải quyết đã quá hạn", "open dossiers past their due date"),
    "documents.received": vi_en("văn bản đến có thời hạn giải quyết, vào sổ trong kỳ",
                                "incoming documents with a due date, registered in the period"),
    "documents.done_on_time": vi_en("văn bản đến giải quyết đúng hạn", "incoming documents done on time"),
    "documents.done_late": vi_en("văn bản đến giải quyết quá hạn", "incoming documents done late"),
    "documents.overdue": vi_en("văn bản đến quá hạn (đã và đang giải quyết)",
                               "incoming documents overdue (done or open)"),
    "documents.open_overdue": vi_en("văn bản đến đang giải quyết đã quá hạn",
                                    "open incoming documents past their due date"),
}


def label(source: str, english: bool = False) -> str:
    """What a computed indicator counts, for people; "" for a typed one."""
    text = LABELS.get(source)
    if text is None:
        return source
    return text.en if english else str(text)


def document_counts(since: datetime.date, until: datetime.date, today: datetime.date) -> list[dict]:
    """Per agency holding them: incoming documents with a due date registered between since and until
    (inclusive, Vietnam time): total, finished_on_time, finished_late, open_overdue (still open and past its due
    date on `today`). The same row shape as the dossiers' dashboard, so one SOURCES table reads both."""
    qs = (Entry.objects.filter(kind=Kind.INCOMING, due_date__isnull=False).order_by()
          .annotate(reg_day=TruncDate("registered_at"), done_day=TruncDate("done_at"))
          .filter(reg_day__gte=since, reg_day__lte=until))
    done = Q(state=IncomingState.DONE, done_day__isnull=False)
    rows = qs.values("agency").annotate(
        total=Count("pk"),
        finished_on_time=Count("pk", filter=done & Q(done_day__lte=F("due_date"))),
        finished_late=Count("pk", filter=done & Q(done_day__gt=F("due_date"))),
        open_overdue=Count("pk", filter=Q(state__in=OPEN_INCOMING, due_date__lt=today)),
    )
    return [{"agency_id": r["agency"], "total": r["total"], "finished_on_time": r["finished_on_time"],
             "finished_late": r["finished_late"], "open_overdue": r["open_overdue"]} for r in rows]


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
    today = min(today or timezone.localdate(), period.end)
    counts = {}
    if any(i.computed_from.startswith("dossiers.") for i in indicators):
        counts["dossiers"] = dashboard.counts_by_agency(_Platform(), today=today, since=period.start,
                                                        until=period.end)["agencies"]
    if any(i.computed_from.startswith("documents.") for i in indicators):
        counts["documents"] = document_counts(period.start, period.end, today)
    agencies = Agency.objects.select_related("unit").in_bulk(
        [r["agency_id"] for family in counts.values() for r in family])
    rows, skipped = [], []
    for indicator in indicators:
        fn = SOURCES[indicator.computed_from]
        per_unit: dict = defaultdict(Decimal)
        units = {}
        for row in counts[indicator.computed_from.split(".", 1)[0]]:
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
