from django.apps import AppConfig


class ConsolidationConfig(AppConfig):
    name = "hopnhat.consolidation"
    label = "consolidation"
    verbose_name = "Hợp nhất hệ thống"

    def ready(self):
        # The engine's own source kinds and the organisation importers; other apps register theirs.
        from hopnhat.core.lang import vi_en
        from hopnhat.core.navigation import NavItem, register
        from hopnhat.core.schedule import Job
        from hopnhat.core.schedule import register as schedule
        from hopnhat.org import importers  # noqa: F401

        from . import sources  # noqa: F401
        from .views import may_review

        schedule(Job("consolidate-purge-staging", ("consolidate", "purge-staging"),
                     "*-*-* 02:30:00 Asia/Ho_Chi_Minh", vi_en(
                         "Hằng ngày xoá dữ liệu gốc trong vùng đệm của hệ thống đã tắt quá thời hạn lưu giữ "
                         "(HOPNHAT_STAGING_RETENTION_DAYS), giữ khóa, mã kiểm tra và kết quả",
                         "Daily, empty the raw staged records of systems switched off longer ago than the retention "
                         "period (HOPNHAT_STAGING_RETENTION_DAYS), keeping keys, checksums and outcomes")))
        register(NavItem("consolidation:review", "Duyệt bản ghi nghi trùng", "Duplicate review", staff_only=True,
                         order=42, permission=may_review))
        register(NavItem("consolidation:quarantine", "Bản ghi cách ly", "Quarantine queue", staff_only=True,
                         order=43, permission=may_review))
        register(NavItem("consolidation:runs", "Các lượt chuyển đổi", "Migration runs", staff_only=True, order=44,
                         permission=may_review))
