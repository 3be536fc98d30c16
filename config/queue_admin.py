"""django-q2's admin, read-only for everyone but superusers, whatever their grants.

A schedule's function, hook and arguments run as code in the cluster, and resubmitting a task runs it again;
the schedules the desk needs are created by migrations.
"""

from django.contrib import admin
from django_q import admin as queue
from django_q.models import Failure, OrmQ, Schedule, Success


class SuperusersChange:
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_actions(self, request) -> dict:
        return super().get_actions(request) if request.user.is_superuser else {}


class ScheduleAdmin(SuperusersChange, queue.ScheduleAdmin):
    pass


class SuccessAdmin(SuperusersChange, queue.TaskAdmin):
    pass


class FailureAdmin(SuperusersChange, queue.FailAdmin):
    pass


class QueueAdmin(SuperusersChange, queue.QueueAdmin):
    pass


def register(site: admin.AdminSite) -> None:
    """Replace django-q2's own registrations (made when the admin discovered it)."""
    for model, model_admin in [(Schedule, ScheduleAdmin), (Success, SuccessAdmin), (Failure, FailureAdmin)]:
        site.unregister(model)
        site.register(model, model_admin)
    if site.is_registered(OrmQ):
        site.unregister(OrmQ)
        site.register(OrmQ, QueueAdmin)
