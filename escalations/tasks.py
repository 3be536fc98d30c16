"""Background work for the django-q2 cluster. Tasks are thin: load by id, call a service; each is safe to run twice."""

import threading
from multiprocessing.util import Finalize

from django.db.models import Q

from escalations.services import notifications


def deliver_notifications(pks: list[int]) -> None:
    """Queued after commit by notifications.notify; skips a row that is not due or already being sent."""
    for pk in pks:
        notifications.deliver(pk)


def retry_notifications() -> int:
    """Every minute: retries after backoff, and notifications whose task was lost."""
    return notifications.retry_due_notifications()


STOP_GRACE = 4  # seconds a stopping worker waits for its clock's sweep to end: within django-q2's stop


def start_clock(sender, proc_name: str, **kwargs) -> None:
    """django-q2 sends `post_spawn` in every new worker: each runs the clock in a thread (see services.clock_loop).

    A thread, not a task: a task lands on one cluster only and holds a worker. The worker's exit, when its cluster
    stops or it is recycled, sets the loop's stop flag and waits for the sweep in progress to end.
    """
    from escalations.services.clock_loop import ClockLoop

    stop = threading.Event()
    thread = ClockLoop(stop=stop).thread()
    thread.start()
    Finalize(None, _stop_clock, args=(stop, thread), exitpriority=10)


def _stop_clock(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join(STOP_GRACE)


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
