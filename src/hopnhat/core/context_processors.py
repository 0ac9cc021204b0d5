"""What the site shell needs on every page: the navigation every module plugs into."""

from django.conf import settings

from . import navigation


def site_shell(request):
    from hopnhat.org.access import is_staff_member

    user = getattr(request, "user", None)
    return {
        "site_name": getattr(settings, "WAGTAIL_SITE_NAME", "hopnhat"),
        "public_nav": navigation.public_items(request),
        "staff_nav": navigation.staff_items(request),
        "is_staff_member": is_staff_member(user),
    }
