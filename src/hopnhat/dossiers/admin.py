"""Django admin: staff keep the procedure catalogue, the calendar exceptions (nghỉ bù / làm bù) and each agency's
dossier policy (four-eyes) here.
Dossiers, their history and the outbox are read-only: they change only through dossiers.actions, which keeps
the history event, the audit entry and the DVCQG payload together."""

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "field_name", "processing_days", "active"]
    list_filter = ["active", "field_name"]
    search_fields = ["code", "name_key"]


@admin.register(models.AgencyPolicy)
class AgencyPolicyAdmin(admin.ModelAdmin):
    list_display = ["agency", "four_eyes"]
    list_filter = ["four_eyes"]
    search_fields = ["agency__name_key", "agency__code"]
    autocomplete_fields = ["agency"]


class EventInline(admin.TabularInline):
    model = models.DossierEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "status_from", "status_to", "agency_name", "actor", "assignee", "note",
              "source_system"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ["code", "procedure", "status", "agency", "assignee", "received_at", "due_date"]
    list_filter = ["status"]
    search_fields = ["code", "aliases__code"]
    inlines = [EventInline]


@admin.register(models.HandoverReview)
class HandoverReviewAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "from_agency", "state", "created_at"]
    list_filter = ["state"]


@admin.register(models.OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["key", "service", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["state", "service"]
