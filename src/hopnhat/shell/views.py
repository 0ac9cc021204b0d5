from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from hopnhat.core import navigation
from hopnhat.org.access import is_staff_member, is_unit_admin, roles_of, staff_required, visible_agencies

from . import oidc
from .context_processors import site_name


def home(request):
    """Citizens land on one site: "/" is the portal's home page once the portal has one, else this landing page."""
    if (page := navigation.home_page()) is not None:
        return page.serve(request)
    return render(request, "hopnhat/home.html")


class SignInView(auth_views.LoginView):
    """The one sign-in: password here, and every registered provider (VNeID) as a button above the form."""

    template_name = "hopnhat/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(sign_in_options=navigation.sign_in_options(), **kwargs)
        # LoginView puts the request's host ("127.0.0.1:8100") in site_name: the portal's own name instead
        context["site_name"] = site_name()
        return context

    def get_default_redirect_url(self):
        # Citizens have no staff area: send them home rather than to a page that refuses them.
        return reverse("shell:staff-home" if is_staff_member(self.request.user) else "shell:home")


class SignOutView(auth_views.LogoutView):
    """Sign out here, and, for a citizen who came through VNeID, at the national SSO as well; otherwise the next
    person at a shared computer would be signed straight back in by the provider."""

    def post(self, request, *args, **kwargs):
        via_vneid = request.session.get(oidc.SESSION_FLAG, False)
        response = super().post(request, *args, **kwargs)
        if via_vneid and (url := oidc.end_session_url(request.build_absolute_uri(self.get_success_url()))):
            return redirect(url)
        return response


def contact(request):
    """Liên hệ, always there for the footer: the portal's own contact page when its editors published one at this
    address (a Wagtail page), else the responsible agency's details from settings.HOPNHAT_PORTAL."""
    from wagtail.views import serve

    try:
        return serve(request, request.path.lstrip("/"))
    except Http404:
        return render(request, "hopnhat/contact.html")


def distinct_roles(user) -> list[dict]:
    """Each role once per agency, for the staff home: a superuser's platform role is not listed twice."""
    rows, seen = [], set()
    for r in roles_of(user):
        key = (r.role, r.agency_id)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"label": r.get_role_display(), "role": r.role, "agency": r.agency})
    return rows


@login_required
def staff_home(request):
    if not is_staff_member(request.user):
        raise PermissionDenied("not a member of staff")
    roles = distinct_roles(request.user)
    return render(request, "hopnhat/staff_home.html", {
        "roles": roles,
        "superuser_line": request.user.is_superuser and not any(r["role"] == "platform_admin" for r in roles),
        "agency_count": visible_agencies(request.user).count(),
        "can_use_cms": request.user.has_perm("wagtailadmin.access_admin"),
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@staff_required(allowed=is_unit_admin)
def signin_locks(request):
    """Accounts and addresses locked after wrong passwords; a unit administrator unlocks those of their subtree."""
    from django.contrib import messages

    from . import signin
    if request.method == "POST":
        username = request.POST.get("username", "").strip() or None
        ip = request.POST.get("ip", "").strip() or None
        if not (username or ip) or not signin.may_unlock(request.user, username, ip):
            raise PermissionDenied("not allowed to unlock this account")
        signin.unlock(request.user, username=username, ip=ip)
        messages.success(request, f"Đã mở khóa / unlocked: {username or ip}")
        return redirect("shell:signin-locks")
    rows = [a for a in signin.locked_attempts()
            if signin.may_unlock(request.user, a.username or None, None if a.username else a.ip_address)]
    return render(request, "hopnhat/signin_locks.html", {"rows": rows})
