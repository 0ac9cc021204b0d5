"""The engine as a background task for production workers (settings.TASKS); in-process by default."""

from django_tasks import task

from .engine import run_mapping
from .mapping import Mapping


@task()
def run_mapping_task(mapping: dict, actor: str, dry_run: bool = False) -> dict:
    """Run a mapping given as the dict `Mapping.as_dict()` produces; returns the run's id and balance."""
    run = run_mapping(Mapping.from_dict(mapping, base_dir=mapping.get("base_dir")), actor=actor, dry_run=dry_run)
    return {"run": run.pk, "balanced": run.balanced, "totals": run.totals}
