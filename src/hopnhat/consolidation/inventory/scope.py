"""Which old systems a member of staff may see and change.

An old system belongs to its owning agency, which the reform has often closed, so owning it is not the only way
in: the staff of the new unit it will serve see it too (and a province's staff see its communes' systems), since
they are the ones consolidating it. An agency serves its own unit or, like a department, its nearest ancestor's.
Everything starts from `hopnhat.org.access`.
"""

from django.db.models import Q, QuerySet

from hopnhat.org.access import STAFF_ROLES, is_platform_admin, roles_of, visible_agencies
from hopnhat.org.models import AdminUnit, Agency, Level, Role, Vintage

from .models import OldSystem

EDITOR_ROLES = {Role.UNIT_ADMIN, Role.PLATFORM_ADMIN}


def _served_unit(agency: Agency) -> int | None:
    ids = [int(part) for part in agency.path.strip("/").split("/") if part]
    units = dict(Agency.objects.filter(pk__in=ids, unit__isnull=False).values_list("pk", "unit"))
    return next((units[pk] for pk in reversed(ids) if pk in units), None)


def _units(user, roles) -> set[int]:
    """The units the user's role agencies serve, and those of the agencies below them."""
    agencies = visible_agencies(user, roles)
    units = set(agencies.filter(unit__isnull=False).values_list("unit", flat=True))
    units |= {_served_unit(ra.agency) for ra in roles_of(user).filter(role__in=roles, agency__isnull=False)}
    units.discard(None)
    return units


def _scoped(user, roles) -> QuerySet[OldSystem]:
    systems = OldSystem.objects.select_related("agency", "new_unit", "migrate_into")
    if is_platform_admin(user):
        return systems
    units = _units(user, roles)
    return systems.filter(Q(agency__in=visible_agencies(user, roles)) | Q(new_unit__in=units)
                          | Q(new_unit__province__in=units))


def visible_systems(user) -> QuerySet[OldSystem]:
    return _scoped(user, STAFF_ROLES)


def editable_systems(user) -> QuerySet[OldSystem]:
    """Register edits, decisions and imports need a unit administrator's role over the system."""
    return _scoped(user, EDITOR_ROLES)


def can_register(user, agency: Agency, unit: AdminUnit) -> bool:
    """May `user` write a system owned by `agency` for the new `unit`? Either the agency is theirs, or the new
    unit is (the officer of the new province registers the systems of the closed agencies it absorbed)."""
    if is_platform_admin(user):
        return True
    if visible_agencies(user, EDITOR_ROLES).filter(pk=agency.pk).exists():
        return True
    units = _units(user, EDITOR_ROLES)
    return unit.pk in units or unit.province_id in units


def registrable_agencies(user) -> QuerySet[Agency]:
    """Owners a unit administrator may pick: their agencies and the closed ones those took over from."""
    if is_platform_admin(user):
        return Agency.objects.all()
    mine = visible_agencies(user, EDITOR_ROLES)
    return Agency.objects.filter(Q(pk__in=mine) | Q(successor_edges__successor__in=mine)).distinct()


def registrable_units(user) -> QuerySet[AdminUnit]:
    """Post-reform units a unit administrator may register systems for: theirs and the communes in them."""
    units = AdminUnit.objects.filter(vintage=Vintage.NEW).exclude(level=Level.DISTRICT)
    if is_platform_admin(user):
        return units
    mine = _units(user, EDITOR_ROLES)
    return units.filter(Q(pk__in=mine) | Q(province__in=mine))
