from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from hopnhat.core import navigation
from hopnhat.org.access import is_staff_member, roles_of, visible_agencies

from . import oidc


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
        return super().get_context_data(sign_in_options=navigation.sign_in_options(), **kwargs)

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


@login_required
def staff_home(request):
    if not is_staff_member(request.user):
        raise PermissionDenied("not a member of staff")
    return render(request, "hopnhat/staff_home.html", {
        "roles": roles_of(request.user),
        "agency_count": visible_agencies(request.user).count(),
        "can_use_cms": request.user.has_perm("wagtailadmin.access_admin"),
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
