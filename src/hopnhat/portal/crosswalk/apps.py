from django.apps import AppConfig


class PortalCrosswalkConfig(AppConfig):
    name = "hopnhat.portal.crosswalk"
    label = "portal_crosswalk"
    verbose_name = "Địa chỉ cũ (URL crosswalk)"
