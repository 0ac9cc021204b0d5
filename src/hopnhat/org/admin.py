"""Django admin for the organisation data. Lineage and agency closures are read-only here: they change only
through `hopnhat units load` and `org.agencies.close_agency`, which keep the edges and the audit chain together."""

from django.contrib import admin

from . import models


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "vintage", "parent"]
    list_filter = ["vintage", "level"]
    search_fields = ["name_key", "code"]
    raw_id_fields = ["parent", "province"]


class SuccessorInline(ReadOnlyInline):
    model = models.AgencySuccession
    fk_name = "predecessor"
    fields = readonly_fields = ["successor", "kind", "is_default", "effective_date", "legal_basis"]
    verbose_name_plural = "cơ quan kế thừa"


class PredecessorInline(ReadOnlyInline):
    model = models.AgencySuccession
    fk_name = "successor"
    fields = readonly_fields = ["predecessor", "kind", "is_default", "effective_date", "legal_basis"]
    verbose_name_plural = "kế thừa từ"


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "status", "closed_reason", "closed_on", "parent"]
    list_filter = ["status", "closed_reason"]
    search_fields = ["name", "name_key", "code"]
    raw_id_fields = ["parent", "unit"]
    # Closing goes through org.agencies.close_agency (successors + audit), never through a status field here.
    readonly_fields = ["status", "closed_reason", "closed_on", "path"]
    inlines = [SuccessorInline, PredecessorInline]


@admin.register(models.RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency"]
    list_filter = ["role"]
    search_fields = ["user__username", "agency__name", "agency__code"]
    raw_id_fields = ["user", "agency"]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "phone", "user"]
    search_fields = ["name_key", "email"]
    exclude = ["national_id_hash"]  # a keyed hash is useless to read and must not be typed in by hand
    raw_id_fields = ["user"]


admin.site.register([models.Position, models.Membership])
