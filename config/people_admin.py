"""Users and groups in the admin: Admins manage agents and teams; roles and permissions are the superusers'.

Being a superuser, staff, a Manager or an Admin, or holding a permission of one's own, is a privilege: only a
superuser grants or withdraws one, and only a superuser edits someone who holds one (or resets their password).
Otherwise an Admin could make themselves a superuser, or a Manager and approve their own templates.
"""

from django.contrib import admin
from django.contrib.auth import admin as auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from escalations import roles

PRIVILEGED_GROUPS = (roles.MANAGERS, roles.ADMINS)
ROLE_GROUPS = (roles.AGENTS, *PRIVILEGED_GROUPS)
SUPERUSER_FIELDS = ("is_superuser", "is_staff", "user_permissions")


def is_privileged(person) -> bool:
    """Read from the database, so that a save is judged by what it wrote."""
    privileges = (
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Q(groups__name__in=PRIVILEGED_GROUPS)
        | Q(user_permissions__isnull=False)
    )
    return get_user_model().objects.filter(privileges, pk=person.pk).exists()


def may_manage(actor, person) -> bool:
    return actor.is_superuser or person is None or not is_privileged(person)


class UserAdmin(auth.UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, *SUPERUSER_FIELDS)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.exclude(name__in=PRIVILEGED_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and may_manage(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and may_manage(request.user, obj)

    def save_related(self, request, form, formsets, change) -> None:
        """Re-checked after the writes, inside the admin's transaction: a forged form rolls back."""
        super().save_related(request, form, formsets, change)
        if not may_manage(request.user, form.instance):
            raise PermissionDenied("Only a superuser makes someone a superuser, a Manager or an Admin.")


class GroupAdmin(auth.GroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, "permissions")

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_manage(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_manage(request.user, obj)

    def save_model(self, request, obj, form, change) -> None:
        if not self._may_manage(request.user, obj):
            raise PermissionDenied("The Agents, Managers and Admins groups are changed by a superuser only.")
        super().save_model(request, obj, form, change)

    @staticmethod
    def _may_manage(actor, group) -> bool:
        """Team groups are the Admins'; the role groups carry the permissions, so they are the superusers'."""
        return actor.is_superuser or group is None or group.name not in ROLE_GROUPS


def register(site: admin.AdminSite) -> None:
    """Replace django.contrib.auth's own registrations (made when the admin discovered it)."""
    for model, model_admin in [(get_user_model(), UserAdmin), (Group, GroupAdmin)]:
        site.unregister(model)
        site.register(model, model_admin)
