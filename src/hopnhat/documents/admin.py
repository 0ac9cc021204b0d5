"""Django admin for platform administrators: registers, documents, entries and their history are read-only (they
change only through documents.actions, which keeps the event and the audit entry together); routing rules and
workflows are edited by unit administrators on /van-ban/quy-tac/, where the scope and the audit are applied."""

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = models.Event
    extra = 0
    can_delete = False
    fields = ["at", "seq", "action", "agency_name", "actor", "actor_name", "person", "note", "source_system"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = models.Entry
    fk_name = "document"
    extra = 0
    can_delete = False
    fields = ["kind", "agency", "register", "number", "old_number", "registered_at", "state", "due_date",
              "routed_by", "source_system"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Register)
class RegisterAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "agency", "kind", "year", "secret", "last_number", "closed"]
    list_filter = ["kind", "year", "secret"]
    search_fields = ["agency__name_key", "agency__code"]


@admin.register(models.Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "type_name", "issuer_name", "issued_date", "subject"]
    list_filter = ["type_abbr", "urgency", "confidentiality"]
    search_fields = ["number_key", "doc_id", "numbers__key", "search_text"]
    inlines = [EntryInline, EventInline]


@admin.register(models.RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "agency", "department", "priority", "active", "review_note"]
    list_filter = ["active"]


@admin.register(models.Workflow)
class WorkflowAdmin(ReadOnlyAdmin):
    list_display = ["agency", "kind", "steps", "assign_days", "secret_register"]
