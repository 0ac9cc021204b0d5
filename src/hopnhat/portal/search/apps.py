from django.apps import AppConfig


class PortalSearchConfig(AppConfig):
    name = "hopnhat.portal.search"
    label = "portal_search"
    verbose_name = "Tìm kiếm"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published, page_unpublished

        from hopnhat.core.navigation import NavItem, register
        from hopnhat.org.models import AdminUnit, UnitAlias, UnitSuccession

        from . import indexing, query
        from .models import ProtectedWord, SearchDocument, Synonym

        register(NavItem("portal_search:search", "Tìm kiếm", "Search", order=20))
        # The portal calls index_page on publish as well; indexing twice is harmless (one row per page).
        page_published.connect(lambda sender, instance, **kw: indexing.index_page(instance),
                               dispatch_uid="portal_search_publish", weak=False)
        page_unpublished.connect(lambda sender, instance, **kw: indexing.unindex_page(instance),
                                 dispatch_uid="portal_search_unpublish", weak=False)
        post_delete.connect(lambda sender, instance, **kw: indexing.forget_terms(instance), sender=SearchDocument,
                            dispatch_uid="portal_search_forget_terms", weak=False)
        for model in (Synonym, ProtectedWord):  # curated lists are cached; a change takes effect at once
            for signal in (post_save, post_delete):
                signal.connect(query.forget_curated, sender=model, dispatch_uid=f"portal_search_{model.__name__}_"
                               f"{signal is post_save}", weak=False)
        for model in (AdminUnit, UnitAlias, UnitSuccession):  # place look-ups are cached per graph version
            for signal in (post_save, post_delete):
                signal.connect(query.forget_places, sender=model, dispatch_uid=f"portal_search_{model.__name__}_"
                               f"{signal is post_save}", weak=False)
