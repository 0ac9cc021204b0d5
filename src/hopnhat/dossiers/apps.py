from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "hopnhat.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ TTHC (Dossiers)"
