from django.apps import AppConfig


class ReleaseProbeConfig(AppConfig):
    name = "release_probe"
    default_auto_field = "django.db.models.BigAutoField"
