"""When an SLA rule changes, the open tickets it governs get their deadlines recomputed (after commit, by django-q2).

The desk also tells other apps what happens to tickets, without knowing them:
- desk events ("created", "updated", the clock's "sla_at_risk", "sla_breached", "ack_timeout" …) are rows written
  with the change, which every registered consumer handles once it commits (services.outbox); `event_cause` is what
  was acting when an event was caused (an automation sets it while it acts, so it can recognise its own events), and
  the events handled together share an `event_scope`: a dict in which a consumer may keep what it read for the first
  event (e.g. the active templates), so a burst of events does not repeat the same queries;
- `ticket_closing` is sent before a ticket closes; a receiver refuses the close by raising ValidationError.
"""

from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from django_q.tasks import async_task

from escalations.models import Calendar, Holiday, Severity, Tier

RECOMPUTE_TASK = "escalations.tasks.recompute_deadlines"
ticket_closing = Signal()
event_cause: ContextVar[tuple] = ContextVar("ticket_event_cause", default=())
event_scope: ContextVar[dict | None] = ContextVar("ticket_event_scope", default=None)


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
