"""What a member of staff has to act on: the dossiers of the agencies they may see, filtered and sorted by due
date, and for one dossier the steps its status and the user's role allow. Views and the dashboard call these."""

import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from hopnhat.org.access import filter_visible

from .actions import RULES, Held, effective_action, held_by_old_systems, last_stage, out_of_order, refusal
from .clock import overdue_q  # noqa: F401  (the dashboard and views import it from here)
from .models import IN_PROGRESS, Action, Dossier, Status

# Still to act on: every open dossier, and decided ones whose result is waiting to be handed to the applicant.
TO_ACT_ON = IN_PROGRESS | {Status.DONE}
# The steps a person starts from the dossier page, with the English of their button (the Vietnamese is the
# model's label); hand-over is the reform's job (handover.py), not a button.
STAFF_ACTIONS = {Action.RECEIVE: "Receive", Action.ASSIGN: "Assign", Action.PROCESS: "Process",
                 Action.REQUEST_SUPPLEMENT: "Request documents", Action.SUBMIT_APPROVAL: "Submit for approval",
                 Action.APPROVE: "Approve",
                 Action.RETURN_RESULT: "Return the result", Action.REJECT: "Stop processing"}
BUTTON_EN = STAFF_ACTIONS | {Action.REFUSE: "Refuse"}
# What the official must write for the step: the applicant reads it (supplement, refusal) or it is the result.
REQUIRED_TEXT = {Action.REQUEST_SUPPLEMENT: "note", Action.REJECT: "note", Action.APPROVE: "result",
                 Action.SUBMIT_APPROVAL: "note"}


# Whose dossiers: "" every one in scope; "mine" assigned to the user (của tôi); "queue" the agencies' open
# dossiers nobody has been assigned yet (chờ phân công).
SCOPES = {"": ("Tất cả trong phạm vi", "All in scope"), "mine": ("Của tôi", "Mine"),
          "queue": ("Chờ phân công", "Awaiting assignment")}


def visible_dossiers(user) -> QuerySet[Dossier]:
    return filter_visible(Dossier.objects.select_related("procedure", "agency", "receiving_agency",
                                                         "assignee__person"), user)


def worklist(user, *, status: str = "", overdue: bool = False, procedure: str = "", agency: int | None = None,
             scope: str = "", today: datetime.date | None = None) -> QuerySet[Dossier]:
    """Dossiers `user` may see, soonest due first (no due date last).

    scope: see SCOPES;
    status: "" = to act on (open, or decided and not yet returned), "all", or one TrangThaiHoSo number;
    overdue: only open dossiers past their due date; procedure: a catalogue code (1.001193.000.00.00.H26) or its
    national part (1.001193); agency: one agency's id within the user's scope."""
    today = today or timezone.localdate()
    qs = visible_dossiers(user)
    if status == "":
        qs = qs.filter(status__in=TO_ACT_ON)
    elif status != "all":
        qs = qs.filter(status=int(status))
    if overdue:
        qs = qs.filter(overdue_q(today))
    if procedure:
        qs = qs.filter(Q(procedure__code=procedure) | Q(procedure__national_code=procedure))
    if agency:
        qs = qs.filter(agency_id=agency)
    if scope == "mine":
        qs = qs.filter(assignee=user)
    elif scope == "queue":
        qs = qs.filter(assignee__isnull=True, status__in=IN_PROGRESS)
    return qs.order_by(F("due_date").asc(nulls_last=True), "received_at", "pk")


def allowed_actions(dossier: Dossier, user, held: Held | None = None) -> list[str]:
    """The steps offered on the dossier page: those actions.RULES allows from its status and actions.refusal lets
    this user take (role, old system still in charge, assignee, four-eyes); actions.py checks both again when the
    form is posted. Whether an old system holds the dossier is asked once for all the steps (`held` when the
    caller already knows)."""
    if held is None:
        held = held_by_old_systems([dossier.pk]).get(dossier.pk, [])
    stage = last_stage(dossier)
    return [a for a in STAFF_ACTIONS if dossier.status in RULES[a][0]
            and refusal(user, effective_action(dossier, a), dossier.agency, dossier, held=held) is None
            and out_of_order(user, dossier, a, stage) is None]


def action_label(action: str, dossier: Dossier | None = None) -> tuple[str, str]:
    """(Vietnamese, English) button text; the Vietnamese from the model's label "Tiếp nhận (received)"."""
    if action == Action.REJECT and dossier is not None and dossier.status == Status.SUBMITTED:
        action = Action.REFUSE   # actions.transition turns a reject before reception into a refusal
    return Action(action).label.partition(" (")[0], BUTTON_EN[action]
