"""Recording what becomes of each old system, and when: one keeper per new unit and type, the others migrating
into it or retired. Every decision and every wave change is an audit entry written in the same transaction."""

import datetime

from django.db import transaction

from hopnhat.core import audit

from .models import Decision, OldSystem
from .scoring import assess, current_weights


class DecisionError(ValueError):
    pass


def _check(system: OldSystem, decision: str, into: OldSystem | None, rationale: str) -> None:
    code = system.code
    if decision not in Decision.values:
        raise DecisionError(f"{code}: quyết định “{decision}” không hợp lệ / unknown decision; "
                            f"dùng / use: {', '.join(Decision.values)}")
    if decision != Decision.UNDECIDED and not rationale.strip():
        raise DecisionError(f"{code}: cần nêu lý do quyết định / a decision needs a rationale")
    if decision == Decision.MIGRATE:
        if into is None:
            raise DecisionError(f"{code}: cần chỉ rõ hệ thống nhận dữ liệu (--into) / say which system it "
                                f"migrates into")
        if into.pk == system.pk:
            raise DecisionError(f"{code}: không thể chuyển vào chính nó / cannot migrate into itself")
        if (into.new_unit_id, into.system_type) != (system.new_unit_id, system.system_type):
            raise DecisionError(f"{code}: {into.code} không cùng đơn vị mới và loại hệ thống / {into.code} "
                                f"serves another unit or is of another type")
        if into.decision != Decision.KEEP:
            raise DecisionError(f"{code}: hãy quyết định giữ {into.code} trước / decide to keep {into.code} "
                                f"first, then migrate into it")
    elif into is not None:
        raise DecisionError(f"{code}: chỉ quyết định “migrate” mới có hệ thống nhận / only migrate takes --into")
    if decision == Decision.KEEP:
        other = (OldSystem.objects.filter(new_unit_id=system.new_unit_id, system_type=system.system_type,
                                          decision=Decision.KEEP).exclude(pk=system.pk).first())
        if other:
            raise DecisionError(f"{code}: đơn vị đã giữ {other.code} cho loại này; mỗi đơn vị chỉ một hệ thống / "
                                f"the unit already keeps {other.code} for this type")
    if system.decision == Decision.KEEP and decision != Decision.KEEP:
        feeders = list(system.migrating_from.values_list("code", flat=True))
        if feeders:
            raise DecisionError(f"{code}: {', '.join(feeders)} đang chuyển vào hệ thống này; đổi quyết định của "
                                f"chúng trước / these systems migrate into it; change their decisions first")


def decide(system: OldSystem, decision: str, *, actor, rationale: str = "", into: OldSystem | None = None,
           wave: int | None = None, planned_start: datetime.date | None = None,
           planned_end: datetime.date | None = None) -> OldSystem:
    """Record the decision for `system`, with the score it had at the time, in the audit log."""
    with transaction.atomic():
        system = OldSystem.objects.select_for_update().select_related("new_unit").get(pk=system.pk)
        if into is not None:  # judge the target as stored now, not as the caller last saw it
            into = OldSystem.objects.get(pk=into.pk)
        _check(system, decision, into, rationale)
        score = next((s for s in assess(system.new_unit, system.system_type) if s.system.pk == system.pk), None)
        previous = system.decision
        entry = audit.record(
            actor, "inventory.decide", system, code=system.code, decision=decision, previous=previous,
            into=into.code if into else None, rationale=rationale.strip(),
            score=round(score.total, 2) if score else None, rank=score.rank if score else None,
            weights=current_weights())
        system.decision, system.migrate_into, system.rationale = decision, into, rationale
        system.decided_by, system.decided_at = entry.actor, entry.at
        system.save(update_fields=["decision", "migrate_into", "rationale", "decided_by", "decided_at",
                                   "updated_at"])
        if wave is not None or planned_start or planned_end:
            schedule(system, wave=wave, planned_start=planned_start, planned_end=planned_end, actor=actor)
    return system


def schedule(system: OldSystem, *, wave: int | None, planned_start: datetime.date | None,
             planned_end: datetime.date | None, actor) -> OldSystem:
    """Put the system in a migration wave with its planned dates."""
    if wave is not None and wave < 1:
        raise DecisionError(f"{system.code}: số đợt phải từ 1 / the wave number starts at 1")
    if planned_start and planned_end and planned_end < planned_start:
        raise DecisionError(f"{system.code}: ngày kết thúc {planned_end:%d/%m/%Y} trước ngày bắt đầu "
                            f"{planned_start:%d/%m/%Y} / the planned end is before the start")
    with transaction.atomic():
        audit.record(actor, "inventory.schedule", system, code=system.code, wave=wave,
                     planned_start=planned_start, planned_end=planned_end,
                     previous={"wave": system.wave, "planned_start": system.planned_start,
                               "planned_end": system.planned_end})
        system.wave, system.planned_start, system.planned_end = wave, planned_start, planned_end
        system.save(update_fields=["wave", "planned_start", "planned_end", "updated_at"])
    return system
