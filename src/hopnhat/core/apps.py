from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hopnhat.core"
    label = "core"
    verbose_name = "Nền tảng chung (Core)"

    def ready(self):
        # Accounts and their permissions are privileged settings too: audited whichever way they change.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from .audit import register_model

        register_model(get_user_model(), exclude={"last_login"}, redact={"password"},
                       m2m=("groups", "user_permissions"))
        register_model(Group, m2m=("permissions",))
        from axes.models import AccessAttempt

        register_model(AccessAttempt, events=("delete",))   # clearing a lockout in the admin is an unlock

        from hopnhat.org.access import is_unit_admin

        from . import signin  # noqa: F401  (audits lockouts)
        from .navigation import NavItem, register

        register(NavItem("core:signin-locks", "Tài khoản bị khóa đăng nhập", "Locked sign-ins", staff_only=True,
                         order=90, permission=is_unit_admin,
                         description_vi="Mở khóa cán bộ nhập sai mật khẩu quá nhiều lần",
                         description_en="Unlock officials after too many wrong passwords"))
