from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "hopnhat.org"
    label = "org"
    verbose_name = "Đơn vị, cơ quan, con người (Organisation)"
