"""Citizens sign in with VNeID through the national SSO (DVCQG), an OpenID Connect provider.

Authorisation code flow with PKCE (S256), state and nonce kept in the session and checked by Authlib. The
provider's claims (`SoDinhDanh`, `HoVaTen`, `ThuDienTu`, `LoaiTaiKhoan`…, see docs: standards §C) become a
citizen user. The personal ID number never reaches the database: the user is found again by its keyed hash
(`core.pii.keyed_hash`), which is the user name.

Configured from the environment (settings.HOPNHAT_OIDC): HOPNHAT_OIDC_ISSUER, HOPNHAT_OIDC_CLIENT_ID,
HOPNHAT_OIDC_CLIENT_SECRET, optionally HOPNHAT_OIDC_SCOPE and HOPNHAT_OIDC_ACR_VALUES (DVCQG uses LoA1).
"""

import functools
import re
from urllib.parse import urlencode

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from hopnhat.core import audit
from hopnhat.core.pii import VNEID_USERNAME_PREFIX, keyed_hash
from hopnhat.core.text import nfc
from hopnhat.org.models import Role, RoleAssignment

USERNAME_PREFIX = VNEID_USERNAME_PREFIX
CITIZEN_ACCOUNT = "1"  # LoaiTaiKhoan: 1 citizen, 2 enterprise
_ID_NUMBER = re.compile(r"^\d{12}$|^\d{9}$")  # 12-digit personal ID; 9-digit old ID cards still sign in


class ClaimsError(ValueError):
    """The provider's answer cannot make a citizen account; the message says why, Vietnamese first."""


def config() -> dict:
    return getattr(settings, "HOPNHAT_OIDC", {}) or {}


def configured() -> bool:
    c = config()
    return bool(c.get("issuer") and c.get("client_id"))


@functools.lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, client_secret: str, scope: str, acr_values: str):
    oauth = OAuth()
    return oauth.register(
        name="vneid",
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": scope, "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "client_secret_basic"},
        authorize_params={"acr_values": acr_values} if acr_values else None,
    )


def client():
    """The Authlib client for the configured provider (metadata fetched once per configuration)."""
    c = config()
    return _client(c["issuer"], c["client_id"], c.get("client_secret", ""), c.get("scope") or "openid profile",
                   c.get("acr_values", ""))


SESSION_FLAG = "hopnhat_signed_in_with_vneid"


def end_session_url(post_logout_redirect_uri: str) -> str | None:
    """Where to send a citizen who signs out, so the national SSO ends its session too (OpenID Connect
    RP-Initiated Logout). By client_id, not id_token_hint: the ID token carries the personal ID number and is
    never kept in our session store. None when the provider offers no end-session endpoint."""
    if not configured():
        return None
    endpoint = client().load_server_metadata().get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode({"client_id": config()["client_id"], "post_logout_redirect_uri": post_logout_redirect_uri,
                       "ui_locales": "vi"})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def citizen_from_claims(claims: dict):
    """The citizen user for these claims, created on first sign-in; name and e-mail refreshed each time."""
    kind = str(claims.get("LoaiTaiKhoan") or CITIZEN_ACCOUNT)
    if kind != CITIZEN_ACCOUNT:
        raise ClaimsError("tài khoản này không phải tài khoản công dân (LoaiTaiKhoan) "
                          "/ this is not a citizen account")
    id_number = str(claims.get("SoDinhDanh") or "").strip()
    if not _ID_NUMBER.match(id_number):
        raise ClaimsError("nhà cung cấp định danh không trả về số định danh cá nhân hợp lệ (SoDinhDanh) "
                          "/ the identity provider sent no valid personal ID number")
    username = USERNAME_PREFIX + keyed_hash(id_number)
    name = nfc(claims.get("HoVaTen") or "")
    email = (claims.get("ThuDienTu") or claims.get("email") or "").strip()
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=username)
        # Vietnamese names run family name first; kept whole so get_full_name() reads as written.
        if created or (user.first_name, user.email) != (name, email):
            user.first_name, user.last_name, user.email = name, "", email
            if created:
                user.set_unusable_password()
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=Role.CITIZEN, agency=None)
        # Not `sub`: VNeID's subject may be the ID number itself.
        audit.record(user, "core.oidc.sign_in", user, issuer=config().get("issuer", ""), created=created)
    return user


def claims_of(token: dict) -> dict:
    """ID token claims, completed from the userinfo endpoint (DVCQG gives most fields there)."""
    claims = dict(token.get("userinfo") or {})
    if "SoDinhDanh" not in claims or "HoVaTen" not in claims:
        extra = dict(client().userinfo(token=token))
        if claims.get("sub") and extra.get("sub") != claims["sub"]:
            raise ClaimsError("userinfo thuộc người khác với id_token / userinfo subject differs from the id_token")
        claims.update(extra)
    return claims

