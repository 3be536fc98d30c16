"""When an SLA rule changes, the open tickets it governs get their deadlines recomputed (after commit, by django-q2).

The desk also tells other apps what happens to tickets, without knowing them:
- `ticket_event` is sent after commit for every audited change ("created", "updated") and clock action
  ("sla_at_risk", "sla_breached", "ack_timeout"), with the ticket's id, a key naming the occurrence (the deadline)
  and `cause`: what was acting when the event was caused (an automation sets `event_cause` while it acts, so it
  can recognise the events of its own actions);
- `ticket_closing` is sent before a ticket closes; a receiver refuses the close by raising ValidationError.
Events sent together (a clock batch) run inside one `event_scope`: a dict in which receivers may keep what they read
for the first event (e.g. the active templates), so a burst of events does not repeat the same queries.
"""

import logging
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
event_scope: ContextVar[dict | None] = ContextVar("ticket_event_scope", default=None)
logger = logging.getLogger(__name__)


def send_ticket_event(ticket: Ticket, event: str, *, key: str = "", **details) -> None:
    cause = event_cause.get()
    transaction.on_commit(
        lambda: ticket_event.send(Ticket, ticket_id=ticket.pk, event=event, key=key, cause=cause, **details),
        robust=True,
    )


def send_ticket_events(events: list[tuple[Ticket, str, str]]) -> None:
    """(ticket, event, key) events after one commit, in one `event_scope`; a failing receiver stops none of them."""
    cause = event_cause.get()

    def send_all() -> None:
        token = event_scope.set({})
        try:
            for ticket, event, key in events:
                sent = ticket_event.send_robust(Ticket, ticket_id=ticket.pk, event=event, key=key, cause=cause)
                for receiver_, error in sent:
                    if isinstance(error, Exception):
                        logger.error("%s failed on %s of ticket %s", receiver_, event, ticket.pk, exc_info=error)
        finally:
            event_scope.reset(token)

    transaction.on_commit(send_all, robust=True)


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
