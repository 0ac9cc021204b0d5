from django.apps import AppConfig


class ConsolidationConfig(AppConfig):
    name = "hopnhat.consolidation"
    label = "consolidation"
    verbose_name = "Hợp nhất hệ thống"

    def ready(self):
        # The engine's own source kinds and the organisation importers; other apps register theirs.
        from hopnhat.core.navigation import NavItem, register
        from hopnhat.org import importers  # noqa: F401

        from . import sources  # noqa: F401
        from .views import may_review

        register(NavItem("consolidation:review", "Duyệt bản ghi nghi trùng", "Duplicate review", staff_only=True,
                         order=42, permission=may_review))
        register(NavItem("consolidation:quarantine", "Bản ghi cách ly", "Quarantine queue", staff_only=True,
                         order=43, permission=may_review))
        register(NavItem("consolidation:runs", "Các lượt chuyển đổi", "Migration runs", staff_only=True, order=44,
                         permission=may_review))
