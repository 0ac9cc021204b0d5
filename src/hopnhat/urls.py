"""One site: public pages, the staff area, Django admin and Wagtail admin. Each app brings its own urls module.

Wagtail's page tree is served last, so every path an app does not claim goes to the portal (and from there to
the old-URL crosswalk)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("hopnhat.core.urls")),
    path("don-vi/", include("hopnhat.org.urls")),
    path("hop-nhat/", include("hopnhat.consolidation.urls")),
    path("ho-so/", include("hopnhat.dossiers.urls")),
    path("cong/", include("hopnhat.portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))
