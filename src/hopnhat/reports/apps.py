from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hopnhat.reports"
    label = "reports"
    verbose_name = "Báo cáo (Reports)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register

        from . import importers  # noqa: F401 — registers reports.value, report_workbook, dhis2_datavalues

        register(NavItem("reports:index", "Báo cáo", "Reports", staff_only=True, order=50,
                         description_vi="Chế độ báo cáo, chỉ tiêu, thu thập số liệu, chuỗi số liệu qua hợp nhất",
                         description_en="Report regimes, indicators, collection, series across the merger"))
