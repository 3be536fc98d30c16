"""Templates are read in the admin, never edited there: edits go through the editor and four-eyes approval."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from escalations import roles
from templates_app.models import Template, TemplateRun, TemplateVersion


class ReadOnly:
    """Admins read; nobody writes here."""

    def has_module_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Template)
class TemplateAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "created_by", "created_at"]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["template", "number", "status", "author", "reviewed_by"]
    list_filter = ["status"]


@admin.register(TemplateRun)
class TemplateRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["version", "ticket", "event", "result", "actions", "started_at"]
    list_filter = ["result", "event"]
