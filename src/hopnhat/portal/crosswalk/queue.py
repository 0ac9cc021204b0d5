"""What still needs a decision: unresolved old URLs, most requested first, within the user's agencies."""

from hopnhat.org.access import filter_visible, is_staff_member

from .models import Mapping, MappingType


def visible_mappings(user):
    if not is_staff_member(user):
        return Mapping.objects.none()
    return filter_visible(Mapping.objects.select_related("site"), user, agency_field="site__agency")


def pending(user):
    return visible_mappings(user).filter(type=MappingType.UNRESOLVED).order_by("-hits", "site_id", "path")
