from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The site shell: one interface over every app (navigation, sign-in with a password or VNeID, the language
    switch, the home and staff home pages, error pages) and the demo that builds a working platform. It stands above
    the domain apps and may import them; `core`, the ground floor, imports none."""

    name = "hopnhat.shell"
    label = "shell"
    verbose_name = "Giao diện chung"
