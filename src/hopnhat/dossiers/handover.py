"""Dossiers in progress at a closed agency (abolished district UBND, merged or split commune) go to the agency
that acts for it now, without the applicant re-submitting anything (Resolution 190/2025/QH15).

Which successor: the only one when there is one; for a split, the one whose unit the applicant's address lies in
(an old address is converted through the unit lineage); else the default successor; with no way to decide, a
HandoverReview for a person. Each hand-over is a history event through `actions.hand_over`, so it is audited and
reported to DVCQG; the due date is kept, the deadline clock does not restart.
"""

from dataclasses import dataclass, field

from django.db import transaction

from hopnhat.core import audit, lang
from hopnhat.org import agencies, lineage
from hopnhat.org.models import Agency, AgencyStatus, Level

from . import actions
from .models import IN_PROGRESS, Dossier, HandoverReview, ReviewState

ACTOR = "system:dossiers-handover"


@dataclass
class Decision:
    dossier: Dossier
    from_agency: Agency
    to_agency: Agency | None
    rule: str                  # sole | address | default | review
    reason: str
    candidates: list[Agency] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "code": self.dossier.code, "from": self.from_agency.code, "from_name": self.from_agency.name,
            "to": self.to_agency.code if self.to_agency else None,
            "to_name": self.to_agency.name if self.to_agency else None, "rule": self.rule, "reason": self.reason,
            "candidates": [a.code for a in self.candidates],
        }


def address_units(address: str) -> set[int]:
    """The current wards an applicant's address lies in. The address starts with house and street, so drop
    leading parts until the rest names a ward ("Phường Đội Cấn, Quận Ba Đình, Hà Nội"); an old ward is
    followed through the lineage to the ward(s) it lives on in."""
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    for start in range(len(parts)):
        matches = lineage.resolve(", ".join(parts[start:]), level=Level.WARD)
        if matches:
            return {edge.unit.pk for m in matches for edge in lineage.current(m.unit)}
    return set()


def decide(dossier: Dossier, edges: list[agencies.AgencyEdge], default: Agency | None) -> Decision:
    closed = dossier.agency
    candidates = [e.agency for e in edges]
    if not candidates:
        return Decision(dossier, closed, None, "review", "cơ quan đã giải thể, không có cơ quan kế thừa / "
                        "abolished with no successor")
    if len(candidates) == 1:
        return Decision(dossier, closed, candidates[0], "sole", "cơ quan kế thừa duy nhất / sole successor",
                        candidates)
    where = address_units(dossier.applicant_address)
    by_address = [a for a in candidates if a.unit_id in where]
    if len(by_address) == 1:
        return Decision(dossier, closed, by_address[0], "address",
                        "địa chỉ người nộp thuộc địa bàn / applicant's address lies in its unit", candidates)
    if default is not None:
        why = ("địa chỉ không phân định được" if where else "không xác định được địa bàn từ địa chỉ")
        return Decision(dossier, closed, default, "default",
                        f"{why}, giao cơ quan kế thừa mặc định / address undecided, default successor", candidates)
    return Decision(dossier, closed, None, "review",
                    "chia tách, không có cơ quan mặc định và địa chỉ không phân định được / split with no default "
                    "and an undecided address", candidates)


def plan() -> list[Decision]:
    """What a hand-over run would do now, dossier by dossier."""
    decisions = []
    closed = Agency.objects.filter(status=AgencyStatus.CLOSED, dossiers__status__in=IN_PROGRESS).distinct()
    for agency in closed:
        edges = agencies.current_agencies(agency)
        default = agencies.default_current_agency(agency)
        work = Dossier.objects.filter(agency=agency, status__in=IN_PROGRESS).select_related("agency")
        decisions.extend(decide(d, edges, default) for d in work.order_by("received_at", "pk"))
    return decisions


def run(dry_run: bool = False, actor: str = ACTOR) -> dict:
    decisions = plan()
    if not dry_run:
        for decision in decisions:
            apply(decision, actor)
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.rule] = counts.get(d.rule, 0) + 1
    return {"dry_run": dry_run, "total": len(decisions), "by_rule": counts,
            "decisions": [d.as_dict() for d in decisions]}


def apply(decision: Decision, actor: str = ACTOR) -> None:
    with transaction.atomic():
        if decision.to_agency is None:
            review, created = HandoverReview.objects.get_or_create(
                dossier=decision.dossier, from_agency=decision.from_agency, defaults={"reason": decision.reason})
            if created:
                review.candidates.set(decision.candidates)
                audit.record(actor, "dossiers.handover_review", decision.dossier, code=decision.dossier.code,
                             from_agency=decision.from_agency.code, reason=decision.reason)
            return
        # one "Vietnamese / English" pair (core.lang.pick shows one half): the reason's halves go inside each
        why_vi, why_en = lang.split(decision.reason)
        note = (f"Bàn giao từ {decision.from_agency.name} cho {decision.to_agency.name} ({why_vi}) / "
                f"Handed over to the successor agency ({why_en[:1].lower() + why_en[1:]})")
        actions.hand_over(actor, decision.dossier, decision.to_agency, note, rule=decision.rule)


def settle_review(actor, review: HandoverReview, to_agency: Agency) -> None:
    """A person decided where a dossier in the review queue goes."""
    with transaction.atomic():
        actions.hand_over(actor, review.dossier, to_agency,
                          f"Bàn giao từ {review.from_agency.name} cho {to_agency.name} (quyết định của cán bộ) / "
                          f"handed over by decision of staff", rule="review")
        review.state = ReviewState.DONE
        review.save(update_fields=["state"])
