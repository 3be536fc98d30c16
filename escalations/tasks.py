"""Background work for the django-q2 cluster. Tasks are thin: load by id, call a service; each is safe to run twice."""

from escalations import notifications


def deliver_notification(pk: int) -> None:
    """Queued after commit by notifications.notify; does nothing if the row is not due or already being sent."""
    notifications.deliver(pk)


def retry_notifications() -> int:
    """Every minute: retries after backoff, and notifications whose task was lost."""
    return notifications.retry_due_notifications()


CLOCK_LOOP_SECONDS = 75


def run_clock() -> int:
    """Every minute: act on passed deadlines each second for a little over a minute (see services.clock.run_clock)."""
    from escalations.services import clock

    return clock.run_clock(seconds=CLOCK_LOOP_SECONDS)
