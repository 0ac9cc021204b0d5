"""Who may see what: roles are scoped to an agency subtree. Every module filters through `visible_agencies`
or `filter_visible`, never through ad-hoc checks in views."""

from django.db.models import Q, QuerySet

from .models import Agency, Role, RoleAssignment

# The dossier roles say which one-door steps a person may take; each is also a staff role over its subtree.
DOSSIER_ROLES = {Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR, Role.DOSSIER_APPROVER}
STAFF_ROLES = {Role.OFFICIAL, Role.UNIT_ADMIN, Role.PLATFORM_ADMIN} | DOSSIER_ROLES
# The document roles (văn thư, leader) are staff roles over their subtree too.
DOCUMENT_ROLES = {Role.DOC_CLERK, Role.DOC_LEADER}
STAFF_ROLES |= DOCUMENT_ROLES


def _is_live(user) -> bool:
    # A deactivated account (an official who moved on) keeps its rows for the record but loses every scope;
    # jobs and commands that act "as" a user reach here without the login check that would stop it.
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def roles_of(user) -> QuerySet[RoleAssignment]:
    if not _is_live(user):
        return RoleAssignment.objects.none()
    return RoleAssignment.objects.filter(user=user).select_related("agency")


def is_platform_admin(user) -> bool:
    if not _is_live(user):
        return False
    return bool(user.is_superuser) or roles_of(user).filter(role=Role.PLATFORM_ADMIN).exists()


def is_staff_member(user) -> bool:
    return is_platform_admin(user) or roles_of(user).filter(role__in=STAFF_ROLES).exists()


def visible_agencies(user, roles: set[str] | None = None) -> QuerySet[Agency]:
    """Agencies in the subtrees where the user holds one of `roles` (any staff role by default)."""
    if is_platform_admin(user):
        return Agency.objects.all()
    wanted = roles or STAFF_ROLES
    paths = [ra.agency.path for ra in roles_of(user).filter(role__in=wanted, agency__isnull=False)]
    if not paths:
        return Agency.objects.none()
    scope = Q()
    for path in paths:
        scope |= Q(path__startswith=path)
    return Agency.objects.filter(scope)


def filter_visible(queryset: QuerySet, user, agency_field: str = "agency", roles: set[str] | None = None):
    """Restrict any queryset with an agency foreign key to what `user` may see."""
    if is_platform_admin(user):
        return queryset
    return queryset.filter(**{f"{agency_field}__in": visible_agencies(user, roles)})


def can_act_on(user, agency: Agency, roles: set[str] | None = None) -> bool:
    return visible_agencies(user, roles).filter(pk=agency.pk).exists()
