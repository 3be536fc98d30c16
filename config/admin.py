from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from escalations import roles


class DeskAdminSite(admin.AdminSite):
    """Only Admins (and superusers) reach /admin/; everyone signs in on the desk's own login page."""

    site_header = "Escalation Desk administration"
    site_title = "Escalation Desk admin"
    index_title = "Configuration"

    def has_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            raise PermissionDenied("The admin is for Admins only.")
        return redirect_to_login(request.GET.get("next", request.path))


class AuditedAdmin(SimpleHistoryAdmin):
    """History is viewable, never written back: a revert would bypass the services, the state machine and the audit.

    Every admin with a history page uses this instead of SimpleHistoryAdmin (tests/test_admin_security.py checks).
    """

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Reverting to an old version is disabled; change the record through the desk.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class RecordAdmin(admin.ModelAdmin):
    """What the desk and the clock recorded: readable, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
