from django.apps import AppConfig


class ConsolidationConfig(AppConfig):
    name = "hopnhat.consolidation"
    label = "consolidation"
    verbose_name = "Hợp nhất hệ thống (Consolidation)"
