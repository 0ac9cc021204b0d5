"""Moving an old system's users to the platform, one step at a time (docs anchors §0.3, strangler-fig):

    not-started → pre-sync (repeatable, old system live) → freeze (old system read-only) → final-sync
    → verify (every stream reconciles, or the step is refused) → switch (modules' hooks route to the platform)
    → monitor → done (the old system is retired), or → route-back (hooks route to the old system again)
    → pre-sync …

A system's state is the name of the last step it took (models.CutoverStep).

`step(system, name, actor)` refuses any other transition with a message that says what is allowed. Each step
is audited in the same transaction as the state change. Modules register what switching means for them:

    register_cutover_hook("portal", on_switch=point_dns_to_platform, on_route_back=point_dns_back)
    register_cutover_hook("hr-hagiang", on_switch=…, on_route_back=…)     # by system code or system type

A hook runs inside that transaction; what it returns (when not None, JSON-able) goes into the step's audit entry.
System types are the inventory's (inventory.models.SystemType: portal, tthc, documents, email, reporting, other).
Modules that only need to know whether the old system is still in charge read the state instead
(`selectors.old_systems_in_charge`, as dossiers.actions does).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import transaction

from hopnhat.core import audit

from . import reconciliation
from .mapping import Mapping
from .models import Cutover, MigrationRun, RunStatus

# the states each step may start from
ALLOWED_FROM = {
    "pre-sync": {"not-started", "pre-sync", "route-back"},
    "freeze": {"pre-sync"},
    "final-sync": {"freeze", "final-sync"},
    "verify": {"final-sync"},
    "switch": {"verify"},
    "monitor": {"switch"},
    "route-back": {"switch", "monitor"},
    "done": {"monitor"},
}
STEPS = list(ALLOWED_FROM)


class CutoverError(ValueError):
    pass


@dataclass(frozen=True)
class Hook:
    on_switch: Callable[[str], Any]
    on_route_back: Callable[[str], Any]


_hooks: dict[str, list[Hook]] = {}


def register_cutover_hook(system_type_or_code: str, on_switch: Callable[[str], Any],
                          on_route_back: Callable[[str], Any]) -> None:
    """Call on_switch(system_code) when the system switches and on_route_back(system_code) when it routes back."""
    hook = Hook(on_switch, on_route_back)
    if hook not in _hooks.setdefault(system_type_or_code, []):
        _hooks[system_type_or_code].append(hook)


def _latest_mappings(system: str) -> list[Mapping]:
    """The mapping of each stream's latest finished real run: what final sync runs again."""
    seen, mappings = set(), []
    for run in MigrationRun.objects.filter(system=system, dry_run=False, status=RunStatus.FINISHED).order_by("-id"):
        if run.stream not in seen:
            seen.add(run.stream)
            mappings.append(Mapping.from_dict(run.mapping, base_dir=run.mapping.get("base_dir")))
    return mappings


def system_type(system: str) -> str:
    """The type the latest run's mapping declares, else the inventory's record of the system (same codes)."""
    run = MigrationRun.objects.filter(system=system).order_by("-id").first()
    declared = (run.mapping.get("system_type") or "") if run else ""
    if declared or not apps.is_installed("hopnhat.consolidation.inventory"):
        return declared
    from .inventory.models import OldSystem

    return OldSystem.objects.filter(code=system).values_list("system_type", flat=True).first() or ""


def verify(system: str) -> dict[str, Any]:
    streams = sorted(set(MigrationRun.objects.filter(system=system, dry_run=False).values_list("stream", flat=True)))
    results = {stream: reconciliation.cumulative(system, stream) for stream in streams}
    return {"streams": results, "balanced": bool(streams) and all(r["balanced"] for r in results.values())}


def step(system: str, name: str, actor, *, progress_factory=None) -> dict[str, Any]:
    """Take one step for `system`; returns what it did. Raises CutoverError when the step is not allowed now."""
    from .engine import run_mapping

    if name not in ALLOWED_FROM:
        raise CutoverError(f"bước “{name}” không có; các bước: {', '.join(STEPS)} "
                           f"/ unknown step {name!r}; steps: {', '.join(STEPS)}")
    cutover, _ = Cutover.objects.get_or_create(system=system)
    if cutover.state not in ALLOWED_FROM[name]:
        allowed = [s for s, froms in ALLOWED_FROM.items() if cutover.state in froms]
        raise CutoverError(
            f"{system}: không thể “{name}” khi đang ở trạng thái “{cutover.state}”; bước được phép: "
            f"{', '.join(allowed) or '—'} / cannot {name} from state {cutover.state}; allowed: {', '.join(allowed)}")
    detail: dict[str, Any] = {"step": name, "from": cutover.state}
    if name in {"pre-sync", "final-sync"}:
        mappings = _latest_mappings(system)
        if not mappings:
            raise CutoverError(f"{system}: chưa có lượt chuyển đổi nào để đồng bộ lại / no run to sync again; "
                               f"run `hopnhat consolidate run MAPPING.yaml` first")
        runs = [run_mapping(m, actor=actor if isinstance(actor, str) else actor.get_username(),
                            progress=progress_factory() if progress_factory else None) for m in mappings]
        detail["runs"] = [{"run": r.pk, "stream": r.stream, "balanced": r.balanced, "totals": r.totals} for r in runs]
        if name == "final-sync" and not all(r.balanced for r in runs):
            raise CutoverError(f"{system}: đồng bộ cuối không cân đối, xem báo cáo các lượt "
                               f"{', '.join(str(r.pk) for r in runs)} / final sync did not balance")
    if name == "verify":
        result = verify(system)
        detail["verify"] = result
        if not result["balanced"]:
            bad = [s for s, r in result["streams"].items() if not r["balanced"]]
            raise CutoverError(f"{system}: đối soát không cân đối ({', '.join(bad) or 'không có luồng nào'}); "
                               f"không chuyển tiếp được / reconciliation does not balance, cannot verify")
    with transaction.atomic():
        if name in {"switch", "route-back"}:
            hooks = _hooks.get(system, []) + _hooks.get(system_type(system), [])
            detail["hooks"] = len(hooks)
            results = [(hook.on_switch if name == "switch" else hook.on_route_back)(system) for hook in hooks]
            if said := [result for result in results if result is not None]:
                detail["hook_results"] = said
        cutover.state = name
        cutover.detail = {**cutover.detail, name: {k: v for k, v in detail.items() if k != "verify"}}
        cutover.save()
        audit.record(actor, f"consolidation.cutover.{name}", cutover, **detail)
    return {"system": system, "state": cutover.state, **detail}

