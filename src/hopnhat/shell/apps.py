from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The site shell: one interface over every app (navigation, sign-in with a password or VNeID, the language
    switch, the home and staff home pages, error pages) and the demo that builds a working platform. It stands above
    the domain apps and may import them; `core`, the ground floor, imports none."""

    name = "hopnhat.shell"
    label = "shell"
    verbose_name = "Giao diện chung"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register
        from hopnhat.org.access import is_unit_admin

        from . import signin  # noqa: F401  (audits lockouts)

        register(NavItem("shell:signin-locks", "Tài khoản bị khóa đăng nhập", "Locked sign-ins", staff_only=True,
                         order=90, permission=is_unit_admin,
                         description_vi="Mở khóa cán bộ nhập sai mật khẩu quá nhiều lần",
                         description_en="Unlock officials after too many wrong passwords"))
        register(NavItem("shell:outbox", "Đã gửi hệ thống quốc gia", "Sent to national systems", staff_only=True,
                         order=91, description_vi="DVCQG, hệ thống báo cáo quốc gia, thông báo: trạng thái, lần thử, "
                                                  "nội dung đã gửi",
                         description_en="DVCQG, the national reporting system, notices: state, retries, what was "
                                        "sent"))
