"""Sign-in through Django's ModelBackend, with a person's permissions read in one query instead of two."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from escalations import roles

FIELDS = ("content_type__app_label", "codename")


class DeskBackend(ModelBackend):
    """Every page checks permissions; ModelBackend reads one's own and one's groups' permissions separately."""

    def user_can_authenticate(self, user) -> bool:
        """The system users never sign in, even with a password someone set: their actions come from the code."""
        return super().user_can_authenticate(user) and not roles.is_system_user(user)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*FIELDS)
            else:
                own = self._get_user_permissions(user_obj).values_list(*FIELDS).order_by()
                rows = own.union(self._get_group_permissions(user_obj).values_list(*FIELDS).order_by())
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
