"""What the site shell needs on every page: the navigation every module plugs into."""

from django.conf import settings

from hopnhat.core import navigation
from hopnhat.org.access import is_staff_member


def site_shell(request):
    user = getattr(request, "user", None)
    staff = is_staff_member(user)
    return {
        "site_name": site_name(),
        "public_nav": navigation.public_items(request),
        "staff_nav": navigation.staff_items(request) if staff else [],
        "is_staff_member": staff,
        "portal": portal_identity(),
    }


def portal_identity() -> dict:
    """settings.HOPNHAT_PORTAL with the logo resolved to a URL (a static path, or an absolute URL as given)."""
    from django.templatetags.static import static

    portal = dict(getattr(settings, "HOPNHAT_PORTAL", {}))
    logo = portal.get("logo", "")
    portal["logo_url"] = logo if logo.startswith(("http://", "https://", "/")) else (static(logo) if logo else "")
    return portal


def site_name() -> str:
    """The portal's name in the current language (WAGTAIL_SITE_NAME; HOPNHAT_PORTAL["site_name_en"] in English)."""
    from hopnhat.core.lang import is_english

    english = getattr(settings, "HOPNHAT_PORTAL", {}).get("site_name_en", "")
    return english if english and is_english() else getattr(settings, "WAGTAIL_SITE_NAME", "hopnhat")
