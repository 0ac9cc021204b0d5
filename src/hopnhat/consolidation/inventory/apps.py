from django.apps import AppConfig


class ConsolidationInventoryConfig(AppConfig):
    name = "hopnhat.consolidation.inventory"
    label = "consolidation_inventory"
    verbose_name = "Rà soát hệ thống cũ (Inventory and assessment)"
