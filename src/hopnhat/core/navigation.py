"""The one interface: each module registers its links here (from its AppConfig.ready), and the site shell
(`hopnhat.shell`: templates/hopnhat/base.html, the home page, the sign-in page) shows them. The registry lives on
the ground floor so that every app can plug in without importing the shell, which stands above them.

    register(NavItem("dossiers:lookup", "Tra cứu hồ sơ", "Dossier look-up", order=30,
                     description_vi="…", description_en="…"))
    register_sign_in(SignInOption("oidc:login", "Đăng nhập bằng VNeID", "Sign in with VNeID"))

A link whose URL name does not resolve is left out, so an app can register before its URLs exist.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label_vi: str
    label_en: str
    staff_only: bool = False
    order: int = 100
    description_vi: str = ""
    description_en: str = ""
    # Who may open the page: a predicate on the user, the same one the view checks (org.access.staff_required),
    # so nobody is shown a link that answers 403. Staff items default to any member of staff: the shell shows staff
    # links to staff members only (core knows no roles).
    permission: Callable | None = None

    def shown_to(self, user) -> bool:
        if self.permission is not None:
            return bool(self.permission(user))
        # a staff link needs at least a signed-in user here; the shell shows staff links to staff members only
        return not self.staff_only or bool(getattr(user, "is_authenticated", False))


@dataclass(frozen=True)
class SignInOption:
    """Another way to sign in (VNeID / OIDC), shown above the password form. Register it only when the
    provider is configured, so an unconfigured one never shows a button that fails."""

    url_name: str
    label_vi: str
    label_en: str
    order: int = 100


_items: list[NavItem] = []
_sign_in: list[SignInOption] = []
_home_page_providers: list = []


def register(item: NavItem) -> None:
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def register_sign_in(option: SignInOption) -> None:
    if option not in _sign_in:
        _sign_in.append(option)
        _sign_in.sort(key=lambda o: o.order)


def _resolved(items):
    out = []
    for item in items:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"url": url, "vi": item.label_vi, "en": item.label_en,
                    "description_vi": getattr(item, "description_vi", ""),
                    "description_en": getattr(item, "description_en", "")})
    return out


def public_items(request=None):
    user = getattr(request, "user", None)
    return _resolved(i for i in _items if not i.staff_only and (i.permission is None or i.shown_to(user)))


def staff_items(request=None):
    """The staff links this user may open; the shell shows them only to staff members (core knows no roles)."""
    user = getattr(request, "user", None)
    return _resolved(i for i in _items if i.staff_only and i.shown_to(user))


def sign_in_options():
    return _resolved(_sign_in)


def register_home_page(provider) -> None:
    """A module that owns the public front page (the portal) registers a callable returning the page to serve at
    "/" (an object with .serve(request)), or None while it has none."""
    if provider not in _home_page_providers:
        _home_page_providers.append(provider)


def home_page():
    for provider in _home_page_providers:
        if (page := provider()) is not None:
            return page
    return None
