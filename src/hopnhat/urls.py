"""One site: public pages, the staff area, Django admin and Wagtail admin. Each app brings its own urls module.

Wagtail's page tree is served last, so every path an app does not claim goes to the portal (and from there to
the old-URL crosswalk)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from hopnhat.portal.search.api import api as portal_api

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dang-nhap/vneid/", include("hopnhat.shell.oidc_urls")),
    path("", include("hopnhat.shell.urls")),
    path("don-vi/", include("hopnhat.org.urls")),
    path("hop-nhat/", include("hopnhat.consolidation.urls")),
    path("ra-soat/", include("hopnhat.consolidation.inventory.urls")),
    path("ho-so/", include("hopnhat.dossiers.urls")),
    path("van-ban/", include("hopnhat.documents.urls")),
    path("bao-cao/", include("hopnhat.reports.urls")),
    path("cong/", include("hopnhat.portal.crosswalk.urls")),
    path("cong/", include("hopnhat.portal.urls")),
    path("tim-kiem/", include("hopnhat.portal.search.urls")),
    path("api/v1/", portal_api.urls),
    path("thu/", include("hopnhat.mail.urls")),
    path("danh-ba/", include("hopnhat.mail.directory_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))

# The Django admin in Vietnamese: third-party entries once every app's admin module has registered (issue 19).
from hopnhat.core.admin import third_party_in_vietnamese  # noqa: E402

third_party_in_vietnamese()
