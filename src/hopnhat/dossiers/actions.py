"""Every change of a dossier's status goes through here: permission (hopnhat.org.access), the status rule, one
history event, the audit entry and the DVCQG outbox message, all in one transaction. The staff worklist, the
receipt slip and the hand-over call these functions; nothing else writes Dossier.status."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.pii import keyed_hash, normalise_id_number
from hopnhat.org.access import can_act_on
from hopnhat.org.models import Agency

from . import outbox
from .codes import next_code
from .models import Action, Channel, Dossier, DossierAlias, DossierEvent, Procedure, Status
from .workdays import add_working_days


class TransitionError(ValueError):
    pass


S = Status
# action → (statuses it may start from, status it leads to)
RULES: dict[str, tuple[frozenset, Status | None]] = {
    Action.RECEIVE: (frozenset({S.SUBMITTED}), S.RECEIVED),
    Action.ASSIGN: (frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT}), S.PROCESSING),
    Action.PROCESS: (frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), S.PROCESSING),
    Action.REQUEST_SUPPLEMENT: (frozenset({S.RECEIVED, S.PROCESSING}), S.SUPPLEMENT),
    Action.APPROVE: (frozenset({S.RECEIVED, S.PROCESSING, S.PAYMENT}), S.DONE),   # simple ones at the desk
    Action.RETURN_RESULT: (frozenset({S.DONE}), S.RETURNED),
    Action.REJECT: (frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), S.STOPPED),
    # A hand-over changes who holds the dossier, not where it stands.
    Action.HANDOVER: (frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}), None),
}


def _check_permission(actor: Any, agency: Agency) -> None:
    # Jobs act as "system:<job>" and are authorised by whoever runs them; people need a role over the agency.
    if isinstance(actor, str):
        if not actor.startswith("system:"):
            raise ValueError(f"actor {actor!r} must be a user or 'system:<job>'")
        return
    if not can_act_on(actor, agency):
        raise PermissionDenied(f"không có quyền với hồ sơ của “{agency.name}” / no role over agency {agency.pk}")


def _actor_name(actor: Any) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def record_event(dossier: Dossier, actor: Any, action: str, *, status_from=None, note: str = "",
                 attachments: list | None = None, at: datetime.datetime | None = None, **extra) -> DossierEvent:
    event = DossierEvent.objects.create(
        dossier=dossier, at=at or timezone.now(), actor=_actor_name(actor),
        actor_title=extra.pop("actor_title", ""), agency=dossier.agency, agency_name=dossier.agency.name,
        action=action, status_from=status_from, status_to=dossier.status, note=note,
        attachments=attachments or [],
    )
    audit.record(actor, f"dossiers.{action}", dossier, code=dossier.code, event=event.pk,
                 status_from=status_from, status_to=dossier.status, agency=dossier.agency.code, **extra)
    outbox.enqueue(dossier, event)
    return event


def receive(actor: Any, *, agency: Agency, procedure: Procedure, applicant_name: str, id_number: str = "",
            phone: str = "", address: str = "", summary: str = "", channel: int = Channel.DIRECT,
            at: datetime.datetime | None = None, note: str = "", papers: list | None = None) -> Dossier:
    """Tiếp nhận: a new dossier with a fresh code, its due date counted in working days from today.
    `papers` ([{"name": …, "copies": n}]) are what the applicant handed in; the receipt slip lists them."""
    _check_permission(actor, agency)
    if not agency.is_active:
        raise TransitionError(f"“{agency.name}” đã dừng hoạt động từ {agency.closed_on}, không tiếp nhận hồ sơ / "
                              f"agency {agency.code} is closed and receives no dossiers")
    at = at or timezone.now()
    digits = normalise_id_number(phone)
    with transaction.atomic():
        dossier = Dossier.objects.create(
            code=next_code(agency, timezone.localdate(at)), procedure=procedure, summary=summary or procedure.name,
            channel=channel, applicant_name=applicant_name, applicant_id_hash=keyed_hash(id_number),
            phone_tail_hash=keyed_hash(digits[-4:]), applicant_address=address,
            receiving_agency=agency, agency=agency, status=Status.RECEIVED, received_at=at,
            due_date=add_working_days(timezone.localdate(at), procedure.processing_days),
        )
        DossierAlias.objects.create(code=dossier.code, dossier=dossier)
        record_event(dossier, actor, Action.RECEIVE, note=note, at=at, attachments=papers)
    return dossier


def transition(actor: Any, dossier: Dossier, action: str, *, note: str = "", attachments: list | None = None,
               to_agency: Agency | None = None, result: str = "", **extra) -> DossierEvent:
    """Apply `action` to `dossier` (locked for the change) and record it."""
    if action not in RULES:
        raise TransitionError(f"thao tác “{action}” không tồn tại / unknown action {action!r}")
    allowed_from, status_to = RULES[action]
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)
        _check_permission(actor, dossier.agency)
        if dossier.status not in allowed_from:
            raise TransitionError(
                f"hồ sơ {dossier.code}: không thể “{Action(action).label}” khi đang “{dossier.get_status_display()}”"
                f" / cannot {action} a dossier in status {dossier.status}")
        status_from, now = dossier.status, timezone.now()
        if action == Action.REJECT and status_from == S.SUBMITTED:
            status_to = S.REFUSED
        if status_to is not None:
            dossier.status = status_to
        if status_to in {S.DONE, S.REFUSED, S.STOPPED}:
            dossier.finished_at = now
        if status_to == S.RETURNED:
            dossier.returned_at = now
        if result:
            dossier.result = result
        if to_agency is not None:
            extra["from_agency"] = dossier.agency.code
            dossier.agency = to_agency
        dossier.save()
        return record_event(dossier, actor, action, status_from=status_from, note=note, attachments=attachments,
                            at=now, **extra)


def assign(actor, dossier, note="", **kw):
    return transition(actor, dossier, Action.ASSIGN, note=note, **kw)


def process(actor, dossier, note="", **kw):
    return transition(actor, dossier, Action.PROCESS, note=note, **kw)


def request_supplement(actor, dossier, note, **kw):
    return transition(actor, dossier, Action.REQUEST_SUPPLEMENT, note=note, **kw)


def approve(actor, dossier, result, note="", **kw):
    return transition(actor, dossier, Action.APPROVE, note=note, result=result, **kw)


def return_result(actor, dossier, note="", **kw):
    return transition(actor, dossier, Action.RETURN_RESULT, note=note, **kw)


def reject(actor, dossier, note, **kw):
    return transition(actor, dossier, Action.REJECT, note=note, **kw)


def hand_over(actor, dossier, to_agency: Agency, note: str, **kw):
    return transition(actor, dossier, Action.HANDOVER, note=note, to_agency=to_agency, **kw)
