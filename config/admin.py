from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

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
