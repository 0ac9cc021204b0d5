"""Sign in with VNeID: send the citizen to the national SSO, take them back, sign them in."""

from authlib.integrations.base_client.errors import OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import oidc

NEXT_KEY = "hopnhat_oidc_next"


def start(request):
    wanted = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        request.session[NEXT_KEY] = wanted
    return oidc.client().authorize_redirect(request, request.build_absolute_uri(reverse("oidc:callback")))


def callback(request):
    try:
        token = oidc.client().authorize_access_token(request)
        user = oidc.citizen_from_claims(oidc.claims_of(token))
    except (OAuthError, oidc.ClaimsError) as exc:
        return TemplateResponse(request, "shell/oidc_error.html", {"reason": str(exc)}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.SESSION_FLAG] = True
    return redirect(request.session.pop(NEXT_KEY, "") or settings.LOGOUT_REDIRECT_URL)
