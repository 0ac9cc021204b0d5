"""The project's settings plus the release probe (bench/continuity.py's release phase only)."""

from hopnhat.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "release_probe"]  # noqa: F405
ROOT_URLCONF = "release_urls"
