from django.apps import AppConfig


class PortalSearchConfig(AppConfig):
    name = "hopnhat.portal.search"
    label = "portal_search"
    verbose_name = "Tìm kiếm (Search)"
