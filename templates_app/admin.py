"""Templates are read in the admin, never edited there: edits go through the editor and four-eyes approval."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from escalations import roles
from escalations.admin import RecordAdmin
from templates_app.models import Template, TemplateRun, TemplateVersion


class AdminsRead(RecordAdmin):
    """The role groups' grants predate this app: Admins read it by role."""

    def has_module_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)


@admin.register(Template)
class TemplateAdmin(AdminsRead, SimpleHistoryAdmin):
    list_display = ["name", "created_by", "created_at"]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(AdminsRead, SimpleHistoryAdmin):
    list_display = ["template", "number", "status", "author", "reviewed_by"]
    list_filter = ["status"]


@admin.register(TemplateRun)
class TemplateRunAdmin(AdminsRead):
    list_display = ["version", "ticket", "event", "result", "actions", "started_at"]
    list_filter = ["result", "event"]
