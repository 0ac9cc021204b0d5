from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hopnhat.core"
    label = "core"
    verbose_name = "Nền tảng chung"

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
