from django.apps import AppConfig


class PortalCrosswalkConfig(AppConfig):
    name = "hopnhat.portal.crosswalk"
    label = "portal_crosswalk"
    verbose_name = "Địa chỉ cũ (URL crosswalk)"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register

        from . import resolve, revision  # noqa: F401  (connect the cache-forgetting signals)

        register(NavItem("crosswalk:queue", "Địa chỉ cũ", "Old addresses", staff_only=True, order=60))
