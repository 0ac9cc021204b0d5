"""Where each new unit stands for the five system types: consolidated, in migration or not started, with the
migration engine's counts for the systems concerned.

The engine's numbers come through `hopnhat.consolidation.selectors` (system_totals, cutover_state), keyed by the
system code. Until a system has a run, it shows "no runs yet" rather than zeros that would look like an empty
migration.
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.db.models import QuerySet

from hopnhat.core.lang import vi_en
from hopnhat.org.models import AdminUnit

from .models import CONSOLIDATED_TYPES, Decision, OldSystem, SystemType

COUNT_KEYS = ("loaded", "merged", "quarantined", "filtered")
# cutover_state values (consolidation.models.CutoverStep, then "done") after which the old system no longer
# serves anyone: its data lives in the keeper. "route-back" is not among them: the old system answers again.
CUT_OVER = {"switch", "monitor", "done"}


class State:
    CONSOLIDATED = "consolidated"
    IN_MIGRATION = "in_migration"
    NOT_STARTED = "not_started"

    LABELS = {
        CONSOLIDATED: vi_en("Đã hợp nhất", "Consolidated"),
        IN_MIGRATION: vi_en("Đang chuyển đổi", "In migration"),
        NOT_STARTED: vi_en("Chưa bắt đầu", "Not started"),
    }


def _selectors():
    try:
        return import_module("hopnhat.consolidation.selectors")
    except ImportError:
        return None


def engine_totals(code: str) -> dict | None:
    """The engine's totals for one system, or None when it has no run (or the engine is not installed)."""
    selectors = _selectors()
    if selectors is None:
        return None
    totals = selectors.system_totals(code)
    if not totals or not totals.get("runs"):
        return None
    return {**totals, "cutover": selectors.cutover_state(code)}


@dataclass
class SystemLine:
    system: OldSystem
    totals: dict | None

    @property
    def cut_over(self) -> bool:
        return bool(self.totals) and self.totals.get("cutover") in CUT_OVER

    def as_dict(self) -> dict:
        return {"code": self.system.code, "name": self.system.name, "decision": self.system.decision,
                "into": self.system.migrate_into.code if self.system.migrate_into_id else None,
                "wave": self.system.wave, "runs": self.totals}


@dataclass
class TypeStatus:
    system_type: str
    state: str
    lines: list[SystemLine] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    runs: int = 0
    note: str = ""

    @property
    def label(self) -> str:
        return SystemType(self.system_type).label

    @property
    def state_label(self) -> str:
        return State.LABELS[self.state]

    def as_dict(self) -> dict:
        return {"system_type": self.system_type, "state": self.state, "counts": self.counts, "runs": self.runs,
                "note": self.note, "systems": [line.as_dict() for line in self.lines]}


def type_status(systems: list[OldSystem], system_type: str) -> TypeStatus:
    lines = [SystemLine(s, engine_totals(s.code)) for s in systems]
    counts = {k: sum((line.totals or {}).get(k, 0) or 0 for line in lines) for k in COUNT_KEYS}
    runs = sum((line.totals or {}).get("runs", 0) or 0 for line in lines)
    status = TypeStatus(system_type, State.NOT_STARTED, lines, counts, runs)
    if not lines:
        status.note = "Chưa kê khai hệ thống nào / no system recorded"
        return status
    keepers = [line for line in lines if line.system.decision == Decision.KEEP]
    others = [line for line in lines if line.system.decision != Decision.KEEP]
    done = len(keepers) == 1 and all(
        line.system.decision == Decision.RETIRE or (line.system.decision == Decision.MIGRATE and line.cut_over)
        for line in others)
    if done:
        status.state = State.CONSOLIDATED
    elif runs or any(line.system.decision != Decision.UNDECIDED for line in lines):
        status.state = State.IN_MIGRATION
    if not runs:
        status.note = "Chưa có lần chạy / no runs yet"
    return status


@dataclass
class UnitDashboard:
    unit: AdminUnit
    types: list[TypeStatus]

    def as_dict(self) -> dict:
        return {"unit": self.unit.code, "unit_name": self.unit.name, "types": [t.as_dict() for t in self.types]}


def unit_dashboard(unit: AdminUnit, systems: QuerySet[OldSystem] | None = None) -> UnitDashboard:
    systems = (OldSystem.objects.all() if systems is None else systems).filter(new_unit=unit)
    by_type: dict[str, list[OldSystem]] = {}
    for system in systems.select_related("migrate_into").order_by("code"):
        by_type.setdefault(system.system_type, []).append(system)
    return UnitDashboard(unit, [type_status(by_type.get(t, []), t) for t in CONSOLIDATED_TYPES])


def units_with_systems(systems: QuerySet[OldSystem]) -> QuerySet[AdminUnit]:
    return AdminUnit.objects.filter(pk__in=systems.values("new_unit")).order_by("level", "code")
