from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "hopnhat.portal"
    label = "portal"
    verbose_name = "Cổng thông tin"

    def ready(self):
        # Published pages reach the search index through portal.search's own page_published handler, which
        # calls the same index_page; connecting it here as well would index every page twice.
        from hopnhat.consolidation.api import register_importer, register_source_kind
        from hopnhat.core.navigation import NavItem, register, register_home_page

        from .importers import SOURCE_KINDS, ArticleImporter
        from .views import live_home_page

        register_importer(ArticleImporter)
        for kind, cls in SOURCE_KINDS.items():
            register_source_kind(kind, cls)
        # Shown once the portal has a live home page (before that /cong/ answers 404).
        register(NavItem("portal:home", "Cổng thông tin", "Portal", order=10,
                         permission=lambda user: live_home_page() is not None))
        register_home_page(live_home_page)
