from django.contrib import admin

from . import models


@admin.register(models.AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "vintage", "parent"]
    list_filter = ["vintage", "level"]
    search_fields = ["name_key", "code"]
    raw_id_fields = ["parent", "province"]


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "status", "parent"]
    list_filter = ["status"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent", "unit"]


admin.site.register([models.Person, models.Position, models.Membership, models.RoleAssignment,
                     models.AgencySuccession])
