"""Finding a dossier by any code it ever had, and what may be shown about it.

Staff see everything (`describe(d, public=False)`); the public look-up needs the code plus the last four digits
of the applicant's phone and answers the same "not found" whether the code or the factor is wrong, so it cannot
be used to learn which codes exist. It is rate-limited per client through the Django cache."""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.utils import timezone

from hopnhat.core import ratelimit
from hopnhat.core.pii import keyed_hash, normalise_id_number
from hopnhat.core.text import fold

from . import clock
from .codes import normalise_code
from .models import Action, Dossier, DossierAlias, DossierEvent, Status


def find(code: str) -> list[Dossier]:
    """Every dossier known by `code` (old or new). Usually one; two when two old systems reused a code."""
    code = normalise_code(code)
    if not code:
        return []
    # DossierAlias holds every code a dossier ever had, its own included: one query, the (code, dossier) index
    # then the dossier's primary key, with the procedure and both agencies describe() shows joined in.
    # De-duplicated here (a merged dossier holds the code once per system): cheaper than DISTINCT.
    found = {d.pk: d for d in Dossier.objects.filter(aliases__code=code).select_related(
        "procedure", "agency", "receiving_agency").order_by("pk")}
    return list(found.values())


TIMELINE_FIELDS = ("at", "action", "status_to", "agency_name", "source_action")
STAFF_FIELDS = ("actor", "actor_title", "note", "status_from", "source_system")
_ACTION_LABELS = dict(Action.choices)
_STATUS_LABELS = dict(Status.choices)


def timeline(dossier: Dossier, public: bool = True) -> list[dict[str, Any]]:
    """The processing history across the merger, in time order, whichever system recorded each step."""
    rows = []
    # only the shown columns, in the order of the (dossier, at) index
    fields = TIMELINE_FIELDS if public else TIMELINE_FIELDS + STAFF_FIELDS
    for event in DossierEvent.objects.filter(dossier_id=dossier.pk).order_by("at", "id").values(*fields):
        row = {
            "at": timezone.localtime(event["at"]).isoformat(timespec="minutes"),
            "action": event["action"],
            # an old system's step that is none of the platform's goes by the old system's own name
            "action_label": event["source_action"] or _ACTION_LABELS.get(event["action"], event["action"]),
            "status": event["status_to"],
            "status_label": _STATUS_LABELS.get(event["status_to"], event["status_to"]) if event["status_to"] else "",
            "agency": event["agency_name"],
        }
        if not public:
            row |= {k: event[k] for k in STAFF_FIELDS}
        rows.append(row)
    return rows


def describe(dossier: Dossier, public: bool = True) -> dict[str, Any]:
    if not (Dossier.procedure.is_cached(dossier) and Dossier.agency.is_cached(dossier)
            and Dossier.receiving_agency.is_cached(dossier)):   # one query for the three, not one each
        dossier = Dossier.objects.select_related("procedure", "agency", "receiving_agency").get(pk=dossier.pk)
    data = {
        "code": dossier.code,
        "other_codes": sorted(a for a in DossierAlias.objects.filter(dossier_id=dossier.pk).values_list(
            "code", flat=True) if a != dossier.code),
        "procedure": dossier.procedure.name,
        "procedure_code": dossier.procedure.code,
        "status": dossier.status,
        "status_label": dossier.get_status_display(),
        "agency": dossier.agency.name,
        "receiving_agency": dossier.receiving_agency.name,
        "received_at": timezone.localtime(dossier.received_at).isoformat(timespec="minutes"),
        "due_date": dossier.due_date,
        "finished_at": timezone.localtime(dossier.finished_at).isoformat(timespec="minutes")
        if dossier.finished_at else None,
        "overdue": dossier.is_overdue(),
        # for an open dossier whose clock runs: working days until the due date (negative once late)
        "working_days_left": clock.working_days_left(dossier),
        "paused": clock.is_paused(dossier),
        "timeline": timeline(dossier, public=public),
    }
    data |= waiting_on_applicant(dossier)
    if not public:
        data |= {"applicant_name": dossier.applicant_name, "agency_code": dossier.agency.code,
                 "receiving_agency_code": dossier.receiving_agency.code}
    return data


def waiting_on_applicant(dossier: Dossier) -> dict[str, Any]:
    """What the applicant must bring while the dossier waits on them: the note of the step that asked for it
    (the official writes it for the applicant), and since when; empty when it does not wait."""
    if not clock.is_paused(dossier):
        return {}
    # the step that entered the pause: a later step that kept it (a hand-over to the successor agency) is not
    # what the applicant must bring
    asked = (DossierEvent.objects.filter(dossier_id=dossier.pk, status_to__in=clock.PAUSED)
             .exclude(status_from__in=clock.PAUSED).order_by("-at", "-id").values("at", "note").first())
    if asked is None:
        return {}
    return {"supplement": {"note": asked["note"],
                           "since": timezone.localtime(asked["at"]).isoformat(timespec="minutes")}}


def public_lookup(code: str, phone_tail: str) -> dict[str, Any] | None:
    """The public answer, or None — the same None for an unknown code and for a wrong phone factor (and when
    the two factors leave more than one dossier: public_answer then asks for a third)."""
    answer = public_answer(code, phone_tail)
    return answer["dossier"] if answer and "dossier" in answer else None


# -- the public answer beyond one dossier: a third factor, a dossier still being transferred (issue 12) ---------

def _name_key(name: str) -> str:
    """A keyed hash of the folded name: the third factor is compared as keyed hashes, never in clear."""
    return hmac.new(settings.PII_HASH_KEY.encode(), f"applicant-name:{fold(name)}".encode(),
                    hashlib.sha256).hexdigest()


def _phone_matches(code: str, phone_tail: str) -> tuple[list[Dossier], str]:
    digits = normalise_id_number(phone_tail)[-4:]
    offered = keyed_hash(digits) if len(digits) == 4 else ""
    # compare_digest keeps the comparison time independent of how much of the hash matches.
    return [d for d in find(code) if offered and d.phone_tail_hash
            and hmac.compare_digest(offered, d.phone_tail_hash)], digits


def public_answer(code: str, phone_tail: str, applicant_name: str = "") -> dict[str, Any] | None:
    """What the public look-up answers: {"dossier": …}; {"need": "applicant_name"} when two dossiers share the
    code and the phone's last digits (the applicant's full name, diacritics and case aside, then tells them
    apart); {"transferring": True, "contact": …} for a code that only a quarantined import record carries;
    None otherwise — the same None for an unknown code and a wrong factor."""
    matches, digits = _phone_matches(code, phone_tail)
    if len(matches) == 1:
        return {"dossier": describe(matches[0], public=True)}
    if matches:
        if applicant_name.strip():
            offered = _name_key(applicant_name)
            named = [d for d in matches if hmac.compare_digest(offered, _name_key(d.applicant_name))]
            if len(named) == 1:
                return {"dossier": describe(named[0], public=True)}
        return {"need": "applicant_name"}
    if len(digits) != 4:
        return None
    from .quarantine import transfer_notice

    return transfer_notice(code, digits)


def code_sources(dossier: Dossier) -> list[dict[str, str]]:
    """Every code of the dossier with the system that issued it ("hopnhat" for ours; an old system's code that
    another system cited as its cross-reference before that system was imported names the citing one)."""
    from .importers import XREF

    rows = []
    for code, system in DossierAlias.objects.filter(dossier_id=dossier.pk).order_by("code", "source_system") \
            .values_list("code", "source_system"):
        if system.endswith(XREF):
            rows.append({"code": code, "system": "", "cited_by": system.removesuffix(XREF)})
        else:
            rows.append({"code": code, "system": system})
    return rows


def rate_limit_ok(client: str, code: str = "") -> bool:
    """At most HOPNHAT_LOOKUP_RATE = (attempts, seconds) look-ups per client address per window, and at most
    HOPNHAT_LOOKUP_CODE_RATE per dossier code from all addresses together (guessing one code's phone digits from
    many addresses stops there). Counted in core.ratelimit, shared by every worker process."""
    attempts, window = getattr(settings, "HOPNHAT_LOOKUP_RATE", (10, 60))
    if not ratelimit.hit(f"lookup:ip:{client}", attempts, window):
        return False
    code_key = normalise_code(code)[:60]
    if code_key:
        per_code, code_window = getattr(settings, "HOPNHAT_LOOKUP_CODE_RATE", (20, 3600))
        return ratelimit.hit(f"lookup:code:{code_key}", per_code, code_window)
    return True
