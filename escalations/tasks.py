"""Background work for the django-q2 cluster. Tasks are thin: load by id, call a service; each is safe to run twice."""

from django.db.models import Q

from escalations import notifications


def deliver_notifications(pks: list[int]) -> None:
    """Queued after commit by notifications.notify; skips a row that is not due or already being sent."""
    for pk in pks:
        notifications.deliver(pk)


def retry_notifications() -> int:
    """Every minute: retries after backoff, and notifications whose task was lost."""
    return notifications.retry_due_notifications()


CLOCK_LOOP_SECONDS = 75


def run_clock() -> int:
    """Every minute: act on passed deadlines each second for a little over a minute (see services.clock.run_clock)."""
    from escalations.services import clock

    return clock.run_clock(seconds=CLOCK_LOOP_SECONDS)


DRAIN_LIMIT = 10_000


def drain_desk_events() -> int:
    """Every hour: desk events no drain handled (the clock loop drains each second), then prune the old ones."""
    from escalations.services import outbox

    handled = outbox.drain_desk_events(limit=DRAIN_LIMIT)
    outbox.prune_desk_events()
    return handled


def recompute_deadlines(model: str, pk: int, reason: str) -> int:
    """After an SLA rule (tier, severity, calendar) changed: move the deadlines of the open tickets it governs."""
    from escalations.models import Ticket
    from escalations.services import clock

    governed = {
        "tier": lambda: Ticket.objects.filter(tier_id=pk),
        "severity": lambda: Ticket.objects.filter(severity_id=pk),
        "calendar": lambda: Ticket.objects.filter(Q(tier__calendar_id=pk) | Q(severity__calendar_id=pk)),
    }
    return clock.deadlines_recompute(reason=reason, tickets=governed[model]())
