"""What the platform sent to the national systems, for staff: one read-only page over every link of the one
outbox (`core.outbox.links()`: DVCQG, the citizens' notices, the national reporting system, the document axis
when it registers). Each link's messages are filtered by `org.access` on the link's `agency_field`, so an
official sees the messages about their agencies' records; a unit administrator requeues dead DVCQG messages on
the dossiers' own page, not here.

Thin views over two plain functions the tests call directly: `summary(user)` and `messages(user, link, …)`."""

import datetime
import json

from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import render

from hopnhat.core import outbox as core_outbox
from hopnhat.core.lang import pick, vi_en
from hopnhat.core.outbox import OutboxState
from hopnhat.core.paging import lenient_page
from hopnhat.org.access import filter_visible, staff_required

PER_PAGE = 50
STATES = {
    "pending": Q(state=OutboxState.PENDING, attempts=0),
    "retrying": Q(state=OutboxState.PENDING, attempts__gt=0),
    "sent": Q(state=OutboxState.SENT),
    "dead": Q(state=OutboxState.DEAD),
}


STATE_LABELS = {"pending": vi_en("Chờ gửi", "Pending"), "retrying": vi_en("Đang thử lại", "Retrying"),
                "sent": vi_en("Đã gửi", "Sent"), "dead": vi_en("Hỏng, ngừng gửi", "Dead")}


class FilterError(ValueError):
    """A filter value that cannot be read; the message names the parameter."""


def visible(user, link):
    return filter_visible(link.model.objects.all(), user, agency_field=link.agency_field)


def summary(user) -> list[dict]:
    """One row per link: its name, whether it is connected, message counts by state as this user may see them,
    the last message sent."""
    rows = []
    for link in core_outbox.links():
        qs = visible(user, link)
        last = qs.filter(state=OutboxState.SENT).order_by("-sent_at").values_list("sent_at", flat=True).first()
        rows.append({"name": link.name, "label": link.label, "connected": link.connected(),
                     "counts": link.state_counts(qs), "max_attempts": link.attempts_allowed(), "last_sent": last})
    return rows


def _day(name: str, value: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: “{value}” không phải ngày dạng YYYY-MM-DD / is not a YYYY-MM-DD date") from None


def messages(user, link, *, state: str = "", agency: str = "", query: str = "", since: str = "", until: str = ""):
    """The link's messages this user may see, newest first, narrowed by state (pending / retrying / sent / dead),
    agency (code or part of the name), text in the idempotency key, and the day queued (since / until,
    inclusive). Raises FilterError naming a parameter it cannot read."""
    qs = visible(user, link)
    if state:
        if state not in STATES:
            raise FilterError(f"trang_thai: “{state}” không có; chọn {', '.join(STATES)} / unknown state")
        qs = qs.filter(STATES[state])
    if agency:
        qs = qs.filter(Q(**{f"{link.agency_field}__code": agency.strip()})
                       | Q(**{f"{link.agency_field}__name__icontains": agency.strip()}))
    if query:
        qs = qs.filter(key__icontains=query.strip())
    if day := _day("tu", since):
        qs = qs.filter(created_at__date__gte=day)
    if day := _day("den", until):
        qs = qs.filter(created_at__date__lte=day)
    if link.select_related:
        qs = qs.select_related(*link.select_related)
    return qs.annotate(agency_code=F(f"{link.agency_field}__code"),
                       agency_name=F(f"{link.agency_field}__name")).order_by("-created_at", "-pk")


def _link_or_404(name: str):
    link = core_outbox.link(name)
    if link is None:
        raise Http404("no such link")
    return link


@staff_required
def outbox_view(request):
    links = summary(request.user)
    name = request.GET.get("kenh") or next((r["name"] for r in links if sum(r["counts"][s] for s in
                                            ("pending", "sent", "dead"))), links[0]["name"] if links else "")
    chosen = _link_or_404(name) if name else None
    filters = {"state": request.GET.get("trang_thai", ""), "agency": request.GET.get("co_quan", ""),
               "query": request.GET.get("q", ""), "since": request.GET.get("tu", ""),
               "until": request.GET.get("den", "")}
    error, page, status = "", None, 200
    if chosen is not None:
        try:
            found = messages(request.user, chosen, **filters)
            page = Paginator(found, PER_PAGE).get_page(lenient_page(request.GET.get("trang")))
            for msg in page:
                msg.subject_text = chosen.subject(msg)
        except FilterError as exc:
            error, status = str(exc), 400
    return render(request, "hopnhat/outbox.html", {
        "links": links, "chosen": chosen, "filters": filters, "page": page, "error": error,
        "states": [(k, pick(label)) for k, label in STATE_LABELS.items()]}, status=status)


@staff_required
def outbox_message_view(request, link_name, pk):
    link = _link_or_404(link_name)
    qs = visible(request.user, link)
    if link.select_related:
        qs = qs.select_related(*link.select_related)
    msg = qs.annotate(agency_code=F(f"{link.agency_field}__code"),
                      agency_name=F(f"{link.agency_field}__name")).filter(pk=pk).first()
    if msg is None:
        raise Http404("no such message here")
    return render(request, "hopnhat/outbox_message.html", {
        "link": link, "m": msg, "subject": link.subject(msg),
        "payload": json.dumps(msg.payload, ensure_ascii=False, indent=2, default=str),
        "response": json.dumps(msg.response, ensure_ascii=False, indent=2, default=str)
        if msg.response is not None else ""})
