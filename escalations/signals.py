"""When an SLA rule changes, the open tickets it governs get their deadlines recomputed (after commit, by django-q2)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from escalations.models import Calendar, Holiday, Severity, Tier

RECOMPUTE_TASK = "escalations.tasks.recompute_deadlines"


def _recompute_after_commit(model: str, pk: int, reason: str) -> None:
    transaction.on_commit(lambda: async_task(RECOMPUTE_TASK, model, pk, reason), robust=True)


@receiver(post_save, sender=Tier)
@receiver(post_save, sender=Severity)
@receiver(post_save, sender=Calendar)
def sla_rule_changed(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        name = sender._meta.verbose_name
        _recompute_after_commit(sender._meta.model_name, instance.pk, f"the {name} “{instance}” changed")


@receiver(post_save, sender=Holiday)
def holiday_changed(sender, instance: Holiday, **kwargs) -> None:
    _recompute_after_commit("calendar", instance.calendar_id, f"holiday {instance} in “{instance.calendar}”")
