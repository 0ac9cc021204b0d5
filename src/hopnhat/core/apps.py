from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hopnhat.core"
    label = "core"
    verbose_name = "Nền tảng chung"
