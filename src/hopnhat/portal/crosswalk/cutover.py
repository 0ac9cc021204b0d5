"""What a portal system's cutover switches (consolidation.cutover): the old sites imported from that system go
live on switch — their old hosts are answered by the middleware and the bouncer and they are in the nginx map —
and stop being answered on route-back, when the old portal takes its hosts back (GOV.UK Transition's
pre-transition / live). Registered for the inventory's system type "portal" in apps.py.

OldSite.live is the serving side's copy of the cutover state, read with the hosts (resolve.py's directory), so
the hot path never asks the Cutover table; the change bumps the crosswalk revision in the step's transaction,
which is what makes the bouncer and the other workers read the hosts again.
"""

from django.db import transaction

from hopnhat.consolidation.selectors import OLD_SYSTEM_IN_CHARGE, cutover_state

from . import resolve, revision
from .models import OldSite

SYSTEM_TYPE = "portal"   # hopnhat.consolidation.inventory.models.SystemType.PORTAL


def starts_live(system: str) -> bool:
    """Whether a site first met in a run of `system` is answered at once: yes, unless the system's cutover is
    under way and not switched (a pre-sync or a run after a route-back finding a new site)."""
    return not system or cutover_state(system) not in OLD_SYSTEM_IN_CHARGE


def set_live(system: str, live: bool) -> dict | None:
    """Turn every old site of `system` live or not; what changed (for the cutover step's audit entry), or None
    when the system has no site. Runs inside the cutover step's transaction."""
    sites = OldSite.objects.filter(system=system)
    hosts = sorted(sites.values_list("host", flat=True))
    if not hosts:
        return None
    changed = sorted(sites.exclude(live=live).values_list("host", flat=True))
    if changed:
        sites.update(live=live)   # a bulk update sends no post_save: bump and forget here
        revision.bump()
        resolve.forget()
        transaction.on_commit(resolve.forget)   # a directory read by another thread before the commit
    return {"crosswalk": {"live": live, "sites": hosts, "changed": changed}}


def on_switch(system: str) -> dict | None:
    return set_live(system, True)


def on_route_back(system: str) -> dict | None:
    return set_live(system, False)
