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


def is_unit_admin(user) -> bool:
    """A platform administrator, or a unit administrator over some subtree."""
    return is_platform_admin(user) or roles_of(user).filter(role=Role.UNIT_ADMIN).exists()


def staff_required(view=None, *, allowed=is_staff_member):
    """View decorator for staff tools: a visitor who is not signed in goes to the sign-in page, a signed-in user
    for whom `allowed(user)` is false (a citizen, by default) gets 403. Menus register the same predicate
    (`NavItem(permission=…)`), so a link is shown exactly to those its page answers."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required
    from django.core.exceptions import PermissionDenied

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied("chỉ dành cho cán bộ có vai trò phù hợp / staff with the right role only")
            return func(request, *args, **kwargs)
        return wrapped

    return decorate(view) if view is not None else decorate
