"""Sign-in throttling (django-axes) and its unlock path.

Every sign-in form (ours at /dang-nhap/, the Django admin's, Wagtail's) authenticates through Django's
`authenticate(request, …)`, so `ThrottledBackend` first in AUTHENTICATION_BACKENDS refuses a locked-out account or
address before any password is checked, and axes' signal handlers count the failures (settings: AXES_*).
A lockout and every unlock are written to the audit chain. Unit administrators unlock the accounts of their
subtree (/can-bo/khoa-dang-nhap/), platform administrators any account or address (also `hopnhat signin`).
"""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from hopnhat.core import audit

LOCKED_VI = ("Tài khoản hoặc địa chỉ này tạm bị khóa đăng nhập vì nhập sai mật khẩu quá nhiều lần. "
             "Xin thử lại sau {minutes} phút, hoặc nhờ quản trị đơn vị mở khóa.")
LOCKED_EN = ("This account or address is temporarily locked after too many wrong passwords. "
             "Try again in {minutes} minutes, or ask your unit administrator to unlock it.")


class ThrottledBackend(AxesStandaloneBackend):
    """axes' check, except for programmatic `authenticate()` calls without a request (tests' `Client.login`, jobs):
    those come from no sign-in form, so there is no address to count against. Every web sign-in passes the
    request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _minutes(request=None) -> int:
    cool_off = get_cool_off(request) or timedelta(minutes=30)
    return max(1, round(cool_off.total_seconds() / 60))


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (axes' AXES_LOCKOUT_CALLABLE): Vietnamese first, 429."""
    minutes = _minutes(request)
    return render(request, "hopnhat/locked_out.html",
                  {"message_vi": LOCKED_VI.format(minutes=minutes), "message_en": LOCKED_EN.format(minutes=minutes)},
                  status=429)


@receiver(user_locked_out, dispatch_uid="hopnhat_signin_locked_out")
def _audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    # axes signals again on every refused attempt during the lockout; one entry per lockout period is enough.
    since = timezone.now() - (get_cool_off(request) or timedelta(minutes=30))
    target = ("auth.user", username) if username else ("ip", ip_address or "")
    if audit.AuditEntry.objects.filter(action="signin.locked_out", object_type=target[0], object_pk=target[1],
                                       at__gte=since).exists():
        return
    audit.record("system:axes", "signin.locked_out", target, username=username or "", ip=ip_address or "")


def locked_attempts():
    """Accounts and addresses locked now."""
    qs = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    if settings.AXES_COOLOFF_TIME:
        qs = qs.filter(attempt_time__gte=timezone.now() - timedelta(hours=float(settings.AXES_COOLOFF_TIME)))
    return qs.order_by("-attempt_time")


def may_unlock(actor, username: str | None = None, ip: str | None = None) -> bool:
    """Platform administrators unlock anything; a unit administrator the accounts holding a role in their
    subtree (never a platform administrator's, never an address, which may be anyone's)."""
    from hopnhat.org.access import is_platform_admin, visible_agencies
    from hopnhat.org.models import Role

    if is_platform_admin(actor):
        return True
    if ip or not username:
        return False
    user = get_user_model().objects.filter(username=username).first()
    if user is None or is_platform_admin(user) or user.is_superuser:
        return False
    agencies = visible_agencies(actor, {Role.UNIT_ADMIN})
    return user.role_assignments.filter(agency__in=agencies).exists()


def unlock(actor, *, username: str | None = None, ip: str | None = None) -> int:
    """Clear the failures of an account and/or an address; audited. Returns how many records were cleared."""
    if not (username or ip):
        raise ValueError("unlock needs a user name or an address")
    if not isinstance(actor, str) and not may_unlock(actor, username, ip):
        raise PermissionDenied("Không có quyền mở khóa tài khoản này / not allowed to unlock this account")
    if username and ip:
        cleared = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip)).count()
        reset(username=username)
        reset(ip=ip)
    else:
        cleared = reset(username=username) if username else reset(ip=ip)
    audit.record(actor, "signin.unlock", ("auth.user", username) if username else ("ip", ip),
                 username=username or "", ip=ip or "", cleared=cleared)
    return cleared
