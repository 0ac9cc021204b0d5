from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "hopnhat.portal"
    label = "portal"
    verbose_name = "Cổng thông tin (Portal)"
