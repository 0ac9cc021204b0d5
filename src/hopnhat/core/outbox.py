"""The platform's one outbox mechanism for every national link (DVCQG, the document axis, the national reporting
system, SMS and e-mail notices): a message is written in the same transaction as the change it reports, keyed so
that the same change is queued once (idempotency), sent in the order it was written within its stream (one
dossier, one report), retried with exponential back-off, and after `max_attempts` left "dead" for a person, who
sees its last error and may requeue it (audited).

Each link keeps its own table — a concrete subclass of `OutboxMessageBase` with the foreign key it needs for access
(a dossier, a report) — and its own delivery function; everything else is this module's, never re-written per app:

    DVCQG = Outbox(OutboxMessage, "dvcqg", deliver=post_one, open_session=log_in,
                   settings_name="HOPNHAT_DVCQG", stream_field="dossier_id")
    DVCQG.enqueue(key, payload, dossier=d, service="DongBoHoSoMC")
    DVCQG.send_due()

Each link registers for the one staff page of what went out (`register(outbox)`; the shell lists `links()` at
/can-bo/gui-di/, filtered per link by `org.access` on the link's `agency_field`), with a `label` for people and a
`subject(message)` naming the record it reports.

`deliver(message, session)` returns the receiver's answer (stored on the message) or raises `DeliveryFailed`
(or a `requests` / connection error) for a retry; `open_session(config)` runs once per sending round.
Settings per link (`settings.<settings_name>`): url, max_attempts (10), backoff_seconds (60),
backoff_cap_seconds (6 h), plus whatever the link's own delivery reads.
"""

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from . import audit
from .lang import vi_en

log = logging.getLogger(__name__)


class OutboxState(models.TextChoices):
    PENDING = "pending", vi_en("Chờ gửi", "Pending")
    SENT = "sent", vi_en("Đã gửi", "Sent")
    DEAD = "dead", vi_en("Hỏng, ngừng gửi", "Dead")


class OutboxMessageBase(models.Model):
    """One payload for a national system, written in the same transaction as the change it reports."""

    key = models.CharField(max_length=200, unique=True, help_text="idempotency key: the same change, once")
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]


_LINKS: dict[str, "Outbox"] = {}


def register(outbox: "Outbox") -> "Outbox":
    """List a link on the staff page of what was sent; it needs an `agency_field` (a message's records are seen
    by those who see its agency's records). Registering the same name again replaces the entry."""
    if not outbox.agency_field:
        raise ValueError(f"outbox {outbox.name}: agency_field is needed to list its messages to staff")
    _LINKS[outbox.name] = outbox
    return outbox


def links() -> list["Outbox"]:
    """Every registered link, in the order of their names."""
    return [_LINKS[name] for name in sorted(_LINKS)]


def link(name: str) -> "Outbox | None":
    return _LINKS.get(name)


class DeliveryFailed(ConnectionError):
    """The receiver answered but did not take the message (an error code): retry later."""


def _retryable() -> tuple[type[BaseException], ...]:
    import requests

    return (requests.RequestException, ValueError, ConnectionError, TimeoutError, OSError)


class Outbox:
    """The sending machinery of one link over its message table."""

    def __init__(self, model: type[OutboxMessageBase], name: str, *, deliver: Callable[[Any, Any], Any],
                 settings_name: str, open_session: Callable[[dict], Any] | None = None,
                 stream_field: str | None = None, select_related: tuple[str, ...] = (),
                 audit_object: Callable[[Any], Any] | None = None, audit_action: str = "",
                 label: str = "", agency_field: str | None = None, subject: Callable[[Any], str] | None = None):
        self.model, self.name, self.deliver = model, name, deliver
        self.settings_name, self.open_session = settings_name, open_session
        self.stream_field, self.select_related = stream_field, select_related
        # what a requeue's audit entry is about (the dossier, the report); the message itself by default
        self.audit_object = audit_object or (lambda msg: msg)
        self.audit_action = audit_action or f"{name}.outbox_requeue"
        # for the staff page: a name for people (core.lang.vi_en), the path from a message to the agency whose
        # record it reports (org.access filters on it), and a short text naming that record
        self.label = label or name
        self.agency_field = agency_field
        self.subject = subject or (lambda msg: "")

    # -- configuration -------------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return getattr(settings, self.settings_name, {}) or {}

    def connected(self) -> bool:
        return bool(self.config().get("url"))

    def attempts_allowed(self) -> int:
        return int(self.config().get("max_attempts", 10))

    def backoff(self, attempts: int) -> datetime.timedelta:
        """base · 2^(attempts−1): 1 min, 2, 4 … by default, capped at 6 hours."""
        config = self.config()
        base, cap = float(config.get("backoff_seconds", 60)), float(config.get("backoff_cap_seconds", 6 * 3600))
        return datetime.timedelta(seconds=min(base * 2 ** (attempts - 1), cap))

    # -- writing -------------------------------------------------------------------------------------------
    def enqueue(self, key: str, payload: Any, **fields) -> tuple[OutboxMessageBase, bool]:
        """Queue one payload in the caller's transaction; the same key again is a no-op (idempotency)."""
        return self.model.objects.get_or_create(key=key, defaults={"payload": payload, **fields})

    def send_after_commit(self, task, *args) -> None:
        """Once the caller's change commits, queue `task.enqueue(*args)` (a django_tasks task that sends what is
        due); a task queue that is down must not fail the request: the worker loop catches up later."""
        if not self.connected():
            return

        def queue():
            try:
                task.enqueue(*args)
            except Exception:   # noqa: BLE001 — logged; the outbox worker sends it later
                log.exception("could not queue the %s send task %s", self.name, args)

        transaction.on_commit(queue)

    # -- sending -------------------------------------------------------------------------------------------
    def due(self, now: datetime.datetime, streams=None):
        """Pending messages whose time has come, in order; held back while an older message of the same stream
        is still unsent (pending in back-off, or dead), so a receiver never sees an older state after a newer."""
        qs = self.model.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        if self.stream_field:
            older_unsent = self.model.objects.filter(**{self.stream_field: OuterRef(self.stream_field)},
                                                     pk__lt=OuterRef("pk"),
                                                     state__in=[OutboxState.PENDING, OutboxState.DEAD])
            qs = qs.exclude(Exists(older_unsent))
            if streams is not None:
                qs = qs.filter(**{f"{self.stream_field}__in": streams})
        return qs.order_by("pk").values_list("pk", flat=True)

    def send_due(self, now: datetime.datetime | None = None, limit: int = 100, max_attempts: int | None = None,
                 streams=None) -> dict[str, int]:
        """Deliver every due message in order (only those of `streams` when given); returns counts of sent /
        retry (back-off) / dead (gave up after `max_attempts`)."""
        config = self.config()
        counts = {"sent": 0, "retry": 0, "dead": 0}
        limit_attempts = max_attempts or self.attempts_allowed()
        now = now or timezone.now()
        session, login_error, logged_in = None, None, False
        while sum(counts.values()) < limit:
            due = list(self.due(now, streams)[:limit - sum(counts.values())])
            if not due:
                break
            if not config.get("url"):
                raise ValueError(f"{self.settings_name}['url'] chưa đặt / is not set")
            if not logged_in:
                if self.open_session is not None:
                    try:
                        session = self.open_session(config)
                    except _retryable() as exc:
                        login_error = exc
                logged_in = True
            sent_before = counts["sent"]
            for pk in due:
                if outcome := self._attempt(pk, session, login_error, now, limit_attempts):
                    counts[outcome] += 1
            if counts["sent"] == sent_before:
                break   # nothing went through: what follows each failed message stays held until its retry
        return counts

    def _attempt(self, pk, session, login_error, now, limit_attempts) -> str | None:
        with transaction.atomic():
            # lock the message only: the record it reports stays free for changes while the receiver answers
            qs = self.model.objects.select_for_update(of=("self",))
            if self.select_related:
                qs = qs.select_related(*self.select_related)
            msg = qs.get(pk=pk)
            if msg.state != OutboxState.PENDING or msg.next_attempt_at > now:
                return None   # another worker got there first
            msg.attempts += 1
            outcome = "sent"
            try:
                if login_error is not None:
                    raise login_error
                answer = self.deliver(msg, session)
            except _retryable() as exc:
                msg.last_error = str(exc)[:2000] or exc.__class__.__name__
                if msg.attempts >= limit_attempts:
                    msg.state, outcome = OutboxState.DEAD, "dead"
                else:
                    msg.next_attempt_at, outcome = now + self.backoff(msg.attempts), "retry"
            else:
                msg.state, msg.sent_at, msg.response, msg.last_error = OutboxState.SENT, timezone.now(), answer, ""
            msg.save()
        return outcome

    # -- people --------------------------------------------------------------------------------------------
    def requeue(self, actor, messages) -> int:
        """A person sends dead messages again from the first attempt (after the receiver or the payload was put
        right); each requeue is audited."""
        count = 0
        with transaction.atomic():
            for msg in messages.select_for_update().filter(state=OutboxState.DEAD):
                audit.record(actor, self.audit_action, self.audit_object(msg), key=msg.key,
                             attempts=msg.attempts, last_error=msg.last_error)
                msg.state, msg.attempts, msg.next_attempt_at = OutboxState.PENDING, 0, timezone.now()
                msg.save(update_fields=["state", "attempts", "next_attempt_at"])
                count += 1
        return count

    @staticmethod
    def state_counts(messages) -> dict[str, int]:
        counts = {state: 0 for state in OutboxState.values}
        counts |= dict(messages.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        counts["retrying"] = messages.filter(state=OutboxState.PENDING, attempts__gt=0).count()
        return counts
