"""When an SLA rule changes, the open tickets it governs get their deadlines recomputed (after commit, by django-q2).

The desk also tells other apps what happens to tickets, without knowing them:
- `ticket_event` is sent after commit for every audited change ("created", "updated") and clock action
  ("sla_at_risk", "sla_breached", "ack_timeout"), with the ticket's id, a key naming the occurrence (the deadline)
  and `cause`: what was acting when the event was caused (an automation sets `event_cause` while it acts, so it
  can recognise the events of its own actions);
- `ticket_closing` is sent before a ticket closes; a receiver refuses the close by raising ValidationError.
"""

from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from django_q.tasks import async_task

from escalations.models import Calendar, Holiday, Severity, Ticket, Tier

RECOMPUTE_TASK = "escalations.tasks.recompute_deadlines"
ticket_event = Signal()
ticket_closing = Signal()
event_cause: ContextVar[tuple] = ContextVar("ticket_event_cause", default=())


def send_ticket_event(ticket: Ticket, event: str, *, key: str = "", **details) -> None:
    cause = event_cause.get()
    transaction.on_commit(
        lambda: ticket_event.send(Ticket, ticket_id=ticket.pk, event=event, key=key, cause=cause, **details),
        robust=True,
    )


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
