"""The project's URLs with the release probe's in front (bench/continuity.py's release phase only)."""

from django.urls import include, path

from hopnhat.urls import urlpatterns as project

urlpatterns = [path("release-probe/", include("release_probe.urls")), *project]
