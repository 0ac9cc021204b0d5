from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "hopnhat.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ TTHC"

    def ready(self):
        from hopnhat.core.audit import register_model
        from hopnhat.core.navigation import NavItem, register

        from .models import AgencyPolicy

        register_model(AgencyPolicy)  # four-eyes on or off is a privileged setting

        from hopnhat.core.lang import vi_en
        from hopnhat.core.schedule import Job
        from hopnhat.core.schedule import register as schedule

        from . import (
            importers,  # noqa: F401 — registers dossiers.dossier and dossiers.history with the engine
            notices,  # noqa: F401 — lists the notices on the staff page of what was sent (core.outbox.register)
            outbox,  # noqa: F401 — lists DVCQG there
            procedure_catalogue,  # noqa: F401 — registers dossiers.procedure and the tthc_json source
        )

        schedule(Job("dossiers-sweep-uploads", ("dossiers", "sweep-uploads"), "*-*-* 04:00:00 Asia/Ho_Chi_Minh", vi_en(
            "Hằng ngày xoá tệp tải lên bỏ dở và tệp không hồ sơ nào dùng, cũ hơn một ngày",
            "Daily, remove abandoned uploads and stored files no dossier names, once a day old")))
        register(NavItem("dossiers:lookup", "Tra cứu hồ sơ", "Dossier look-up", order=30,
                         description_vi="Tình trạng hồ sơ thủ tục hành chính theo mã mới hoặc mã cũ",
                         description_en="Where your dossier stands, by its new or old code"))
        register(NavItem("dossiers:staff-worklist", "Hồ sơ TTHC", "Dossiers", staff_only=True, order=30,
                         description_vi="Hồ sơ cần xử lý của cơ quan, tiếp nhận tại quầy, in giấy hẹn",
                         description_en="Dossiers to act on, reception at the counter, receipt slips"))
        register(NavItem("dossiers:staff-dashboard", "Thống kê hồ sơ", "Dossier statistics", staff_only=True,
                         order=31, description_vi="Đúng hạn, quá hạn theo từng cơ quan",
                         description_en="On time and overdue, agency by agency"))
        from hopnhat.org.access import is_unit_admin

        # A signed-in citizen's dossiers (online, at the counter, imported), one click from every page.
        register(NavItem("dossiers:my-dossiers", "Hồ sơ của tôi", "My dossiers", order=31,
                         permission=lambda user: bool(getattr(user, "is_authenticated", False)),
                         description_vi="Hồ sơ đã nộp trực tuyến, tại quầy hoặc ở hệ thống cũ; bổ sung, kết quả",
                         description_en="Dossiers submitted online, at the counter or in the old systems"))

        register(NavItem("dossiers:staff-catalogue-conflicts", "Khác biệt danh mục thủ tục",
                         "Catalogue differences", staff_only=True, order=32, permission=is_unit_admin,
                         description_vi="Nơi các đơn vị cũ công bố khác nhau: thời hạn, phí, giấy tờ, "
                                        "cơ quan tiếp nhận",
                         description_en="Where the old units published a procedure differently: time limit, fees, "
                                        "papers, receiving agency"))
