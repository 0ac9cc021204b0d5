"""What the site shell needs on every page: the navigation every module plugs into."""

from django.conf import settings

from hopnhat.core import navigation
from hopnhat.org.access import is_staff_member


def site_shell(request):
    user = getattr(request, "user", None)
    staff = is_staff_member(user)
    return {
        "site_name": getattr(settings, "WAGTAIL_SITE_NAME", "hopnhat"),
        "public_nav": navigation.public_items(),
        "staff_nav": navigation.staff_items() if staff else [],
        "is_staff_member": staff,
    }
