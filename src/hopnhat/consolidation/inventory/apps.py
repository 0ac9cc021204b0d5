from django.apps import AppConfig


class ConsolidationInventoryConfig(AppConfig):
    name = "hopnhat.consolidation.inventory"
    label = "consolidation_inventory"
    verbose_name = "Rà soát hệ thống cũ"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register

        register(NavItem(
            "inventory:list", "Rà soát hệ thống cũ", "Old systems", staff_only=True, order=40,
            description_vi="Danh mục hệ thống của các đơn vị sáp nhập, chấm điểm, quyết định giữ / chuyển / dừng",
            description_en="Register of the merging units' systems, scoring, keep / migrate / retire decisions"))
        register(NavItem(
            "inventory:dashboard", "Tiến độ hợp nhất", "Consolidation progress", staff_only=True, order=41,
            description_vi="Cổng, TTHC, văn bản, thư điện tử, báo cáo của từng đơn vị mới: đã hợp nhất hay chưa",
            description_en="Portal, dossiers, documents, e-mail, reporting per new unit: consolidated or not"))
