from django.apps import AppConfig


class PortalCrosswalkConfig(AppConfig):
    name = "hopnhat.portal.crosswalk"
    label = "portal_crosswalk"
    verbose_name = "Địa chỉ cũ"

    def ready(self):
        from hopnhat.consolidation.cutover import register_cutover_hook
        from hopnhat.core.audit import register_model
        from hopnhat.core.navigation import NavItem, register

        from .models import AllowedHost, OldHost, OldSite

        # Where old hosts may send people, and which hosts are answered at all, are audited however they change
        # (mapping decisions are audited by decisions.py, with their own version history).
        for model in (AllowedHost, OldSite, OldHost):
            register_model(model)

        from . import cutover, resolve, revision  # noqa: F401  (connect the cache-forgetting signals)

        register_cutover_hook(cutover.SYSTEM_TYPE, on_switch=cutover.on_switch, on_route_back=cutover.on_route_back)

        register(NavItem("crosswalk:queue", "Địa chỉ cũ", "Old addresses", staff_only=True, order=60))
