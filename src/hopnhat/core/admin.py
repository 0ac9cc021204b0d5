"""The audit log and provenance are evidence: staff may read them in the admin, nobody may change them there."""

from django.contrib import admin

from .models import AuditEntry, CalendarDay, Provenance

# The Django admin speaks Vietnamese (issue 19): its own strings come from Django's vi catalogue (the site's
# language), the titles from here, the app and model names from their verbose names.
admin.site.site_header = "Quản trị hopnhat"
admin.site.site_title = "Quản trị hopnhat"
admin.site.index_title = "Quản trị dữ liệu"


def third_party_in_vietnamese() -> None:
    """Images and tags are Wagtail's (edited at /cms/): not listed here. Background task results stay, named in
    Vietnamese (their app ships no Vietnamese). Called by urls.py, once every app's admin has registered."""
    from django.apps import apps

    for model in [m for m in admin.site._registry if m._meta.label in {"taggit.Tag", "wagtailimages.Image"}]:
        admin.site.unregister(model)
    if apps.is_installed("django_tasks_db"):
        for config in apps.get_app_configs():
            if config.name == "django_tasks_db":
                config.verbose_name = "Tác vụ nền"
                for model in config.get_models():
                    model._meta.verbose_name = "kết quả tác vụ"
                    model._meta.verbose_name_plural = "kết quả tác vụ"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor", "action", "object_type", "object_pk"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "object_pk"]
    date_hierarchy = "at"


@admin.register(Provenance)
class ProvenanceAdmin(ReadOnlyAdmin):
    list_display = ["source_system", "source_key", "content_type", "object_pk", "imported_at"]
    list_filter = ["source_system"]
    search_fields = ["source_key", "object_pk"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
