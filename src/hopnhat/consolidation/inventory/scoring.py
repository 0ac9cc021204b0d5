"""Scoring the candidates for one new unit and one system type, and flagging duplicates.

Every criterion becomes a value between 0 and 1, then total = 100 × Σ(weight × value) / Σ weight, so each
criterion's points add up to the total and the breakdown explains the score exactly. Ratings (capability,
vendor support, security level) are absolute; usage, data volume and cost are relative to the best candidate,
because "many users" only means something next to the other systems the unit could keep.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, QuerySet

from hopnhat.core import audit
from hopnhat.core.lang import vi_en
from hopnhat.org.models import AdminUnit

from .models import CONSOLIDATED_TYPES, Criterion, CriterionWeight, Decision, OldSystem

DEFAULT_WEIGHTS: dict[str, Decimal] = {
    Criterion.CAPABILITY: Decimal(25),
    Criterion.USAGE: Decimal(20),
    Criterion.DATA_VOLUME: Decimal(15),
    Criterion.SECURITY: Decimal(15),
    Criterion.COST: Decimal(15),
    Criterion.VENDOR_SUPPORT: Decimal(10),
}


class WeightError(ValueError):
    pass


def current_weights() -> dict[str, Decimal]:
    weights = dict(DEFAULT_WEIGHTS)
    weights.update({w.criterion: w.weight for w in CriterionWeight.objects.all()})
    return {str(k): v for k, v in weights.items()}


def set_weights(changes: dict[str, object], actor) -> dict[str, Decimal]:
    """Store new weights (criterion → number ≥ 0); the old and new sets go to the audit log together."""
    before = current_weights()
    parsed: dict[str, Decimal] = {}
    for name, raw in changes.items():
        if name not in Criterion.values:
            raise WeightError(f"Không có tiêu chí “{name}” / unknown criterion {name!r}; "
                              f"có / known: {', '.join(Criterion.values)}")
        try:
            value = Decimal(str(raw).replace(",", "."))
        except ArithmeticError:
            raise WeightError(f"Trọng số “{raw}” của {name} không phải số / weight of {name} is not a number") from None
        if not value.is_finite() or value < 0 or value > 999:
            raise WeightError(f"Trọng số {name}={raw} phải từ 0 đến 999 / must be between 0 and 999")
        parsed[name] = value.quantize(Decimal("0.01"))
    after = {**before, **parsed}
    if sum(after.values()) <= 0:
        raise WeightError("Tổng trọng số phải lớn hơn 0 / the weights cannot all be zero")
    with transaction.atomic():
        entry = audit.record(actor, "inventory.weights", None, before=before, after=after)
        for name, value in parsed.items():
            CriterionWeight.objects.update_or_create(
                criterion=name, defaults={"weight": value, "updated_by": entry.actor})
    return after


@dataclass
class Part:
    criterion: str
    label: str
    raw: str            # what the register says, as shown to people
    value: float        # 0…1
    weight: Decimal
    points: float       # share of the 0–100 total
    why: str


@dataclass
class Score:
    system: OldSystem
    total: float
    parts: list[Part] = field(default_factory=list)
    rank: int = 0

    def as_dict(self) -> dict:
        return {
            "code": self.system.code, "name": self.system.name, "rank": self.rank, "total": round(self.total, 2),
            "decision": self.system.decision,
            "parts": [{"criterion": p.criterion, "raw": p.raw, "value": round(p.value, 4), "weight": p.weight,
                       "points": round(p.points, 2), "why": p.why} for p in self.parts],
        }


def _vn(number) -> str:
    """Vietnamese digit grouping: 1.200.000.000."""
    return f"{number:,}".replace(",", ".")


def _rating_value(rating: int | None, what: str) -> tuple[float, str, str]:
    if rating is None:
        return 0.0, "—", vi_en(f"{what} chưa đánh giá, tính 0", "not rated, counts as 0")
    return (rating - 1) / 4, f"{rating}/5", f"({rating} − 1) / 4"


def _relative(amount, best, unit: str) -> tuple[float, str, str]:
    if amount is None:
        return 0.0, "—", vi_en("thiếu số liệu, tính 0", "no figure, counts as 0")
    if not best:
        return 0.0, f"{_vn(amount)} {unit}", vi_en("không hệ thống nào có số liệu > 0", "no candidate above 0")
    return float(amount) / float(best), f"{_vn(amount)} {unit}", vi_en(f"{_vn(amount)} / {_vn(best)} (cao nhất)",
                                                                 f"{_vn(amount)} / {_vn(best)} (the highest)")


def _cost(cost, cheapest) -> tuple[float, str, str]:
    if cost is None:
        return 0.0, "—", vi_en("thiếu chi phí, tính 0", "no cost figure, counts as 0")
    if cost == 0:
        return 1.0, "0 ₫", "không tốn chi phí / costs nothing"
    return float(cheapest) / float(cost), f"{_vn(cost)} ₫", vi_en(
        f"{_vn(cheapest)} (thấp nhất) / {_vn(cost)}", f"{_vn(cheapest)} (the lowest) / {_vn(cost)}")


def candidates(unit: AdminUnit, system_type: str) -> QuerySet[OldSystem]:
    return OldSystem.objects.filter(new_unit=unit, system_type=system_type).select_related("agency", "new_unit")


def score_systems(systems: list[OldSystem], weights: dict[str, Decimal] | None = None) -> list[Score]:
    """Rank `systems` (the candidates of one unit and type), best first; ties go by code."""
    weights = weights or current_weights()
    total_weight = float(sum(weights.values())) or 1.0
    best_users = max((s.users or 0 for s in systems), default=0)
    best_records = max((s.records or 0 for s in systems), default=0)
    costs = [s.yearly_cost_vnd for s in systems if s.yearly_cost_vnd]
    cheapest = min(costs) if costs else 0
    labels = dict(Criterion.choices)
    scores = []
    for system in systems:
        values = {
            Criterion.CAPABILITY: _rating_value(system.capability, "năng lực"),
            Criterion.USAGE: _relative(system.users, best_users, "tài khoản"),
            Criterion.DATA_VOLUME: _relative(system.records, best_records, "bản ghi"),
            Criterion.SECURITY: _rating_value(system.security_level, "cấp độ"),
            Criterion.COST: _cost(system.yearly_cost_vnd, cheapest),
            Criterion.VENDOR_SUPPORT: _rating_value(system.vendor_support, "hỗ trợ"),
        }
        parts = []
        for criterion, (value, raw, why) in values.items():
            weight = weights.get(str(criterion), Decimal(0))
            parts.append(Part(str(criterion), labels[criterion], raw, value, weight,
                              100 * float(weight) * value / total_weight, why))
        scores.append(Score(system, sum(p.points for p in parts), parts))
    scores.sort(key=lambda s: (-round(s.total, 6), s.system.code))
    for rank, score in enumerate(scores, start=1):
        score.rank = rank
    return scores


def assess(unit: AdminUnit, system_type: str, weights: dict[str, Decimal] | None = None) -> list[Score]:
    return score_systems(list(candidates(unit, system_type)), weights)


@dataclass
class DuplicateGroup:
    unit: AdminUnit
    system_type: str
    systems: list[OldSystem]

    @property
    def resolved(self) -> bool:
        """One keeper, every other system migrating into it or retired."""
        keepers = [s for s in self.systems if s.decision == Decision.KEEP]
        return len(keepers) == 1 and all(
            s.decision in (Decision.MIGRATE, Decision.RETIRE) for s in self.systems if s is not keepers[0])

    def as_dict(self) -> dict:
        return {"unit": self.unit.code, "unit_name": self.unit.name, "system_type": self.system_type,
                "systems": [s.code for s in self.systems], "resolved": self.resolved}


def duplicates(systems: QuerySet[OldSystem] | None = None) -> list[DuplicateGroup]:
    """Several systems of one of the five consolidated types for one new unit."""
    systems = OldSystem.objects.all() if systems is None else systems
    systems = systems.filter(system_type__in=CONSOLIDATED_TYPES)
    keys = (systems.values("new_unit", "system_type").annotate(n=Count("id")).filter(n__gt=1)
            .order_by("new_unit__code", "system_type"))
    groups = []
    for key in keys:
        members = list(systems.filter(new_unit=key["new_unit"], system_type=key["system_type"])
                       .select_related("new_unit").order_by("code"))
        groups.append(DuplicateGroup(members[0].new_unit, key["system_type"], members))
    return groups
