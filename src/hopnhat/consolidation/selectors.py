"""Read-only answers for other apps (the inventory dashboard): what a system's runs added up to, and where its
cutover stands. Keyed by the system code of the mappings (`hr-hagiang`)."""

from typing import Any

from .models import Cutover, MigrationRun, ReviewItem, ReviewStatus, RunStatus
from .reconciliation import cumulative


def system_totals(system_code: str) -> dict[str, Any]:
    """Cumulative outcomes over every stream of the system, its latest run and the open review pairs."""
    whole = cumulative(system_code)
    last = MigrationRun.objects.filter(system=system_code, dry_run=False).order_by("-id").first()
    finished = MigrationRun.objects.filter(system=system_code, dry_run=False, status=RunStatus.FINISHED)
    return {
        "system": system_code,
        "staged": whole["staged"],
        **whole["outcomes"],
        "source_deleted": whole["source_deleted"],
        "balanced": whole["balanced"] if whole["staged"] else None,
        "runs": finished.count(),
        "streams": sorted(set(finished.values_list("stream", flat=True))),
        "last_run": {"id": last.pk, "stream": last.stream, "status": last.status, "balanced": last.balanced,
                     "finished_at": last.finished_at} if last else None,
        "pending_reviews": ReviewItem.objects.filter(system=system_code, status=ReviewStatus.PENDING).count(),
    }


# A system's cutover has begun (pre-sync) but its users have not been switched to the platform, or were routed
# back: the old system is still where its records are worked on, and final sync will copy them here again.
OLD_SYSTEM_IN_CHARGE = frozenset({"pre-sync", "freeze", "final-sync", "verify", "route-back"})


def old_systems_in_charge() -> dict[str, str]:
    """{system code: cutover state} of every system whose old system is still in charge (OLD_SYSTEM_IN_CHARGE).
    One query on the Cutover table (a row per old system), so callers ask once per request and pass it on.
    A system without a Cutover row (a one-off import of a retired system) is not in charge of anything."""
    return dict(Cutover.objects.filter(state__in=OLD_SYSTEM_IN_CHARGE).values_list("system", "state"))


def cutover_state(system_code: str) -> str:
    """The last cutover step the system took: "not-started", "pre-sync", "freeze", "final-sync", "verify",
    "switch", "monitor", "route-back" or "done" (models.CutoverStep)."""
    return Cutover.objects.filter(system=system_code).values_list("state", flat=True).first() or "not-started"


def quarantined_keys(system_code: str, stream: str | None = None) -> list[dict[str, Any]]:
    """Every open quarantined record of a system (one stream, or all): what staff must still decide, and what
    another app may tell people meanwhile. Each: {"system", "stream", "key", "reason", "field" (the mapped field at
    fault, "" when the reason names none), "raw" (the record's values as the old system holds them; personal ID
    numbers already hashed), "run" (the run that left it there)}. No limit; open means quarantined and still held
    by the source. Resolved records leave the list (quarantine.rerun)."""
    from .quarantine import open_records

    return [{"system": r.system, "stream": r.stream, "key": r.key, "reason": r.reason,
             "field": (r.detail or {}).get("field", ""), "raw": r.raw, "run": r.last_run_id}
            for r in open_records(system_code, stream=stream).iterator(chunk_size=500)]


def quarantine_for_code(code: str, *, field: str = "code", importer: str = "dossiers.dossier") -> list[dict[str, Any]]:
    """Open quarantined records of any system whose source column for the mapped `field` (by the stream's last
    mapping: dossiers map `code` from the old system's code column) holds exactly `code`: e.g. a dossier the
    citizen asks about by its old code while it waits for a decision. Same shape as quarantined_keys. The code is
    compared as given and stripped; normalise it (dossiers.codes.normalise_code) before asking if the old systems
    wrote codes in another form."""
    from .quarantine import last_mapping, open_records

    code = str(code).strip()
    found = []
    streams = set(MigrationRun.objects.filter(importer=importer).values_list("system", "stream").distinct())
    for system, stream in sorted(streams):
        mapping = last_mapping(system, stream)
        rule = next((r for r in mapping.fields if r.target == field), None) if mapping else None
        column = rule.source if rule is not None else field
        for r in open_records(system, stream=stream).filter(**{f"raw__{column}": code}):
            found.append({"system": r.system, "stream": r.stream, "key": r.key, "reason": r.reason,
                          "field": (r.detail or {}).get("field", ""), "raw": r.raw, "run": r.last_run_id})
    return found
