"""Background work for the django-q2 cluster. Tasks are thin: load by id, call a service; each is safe to run twice."""

from escalations import notifications


def deliver_notification(pk: int) -> None:
    """Queued after commit by notifications.notify; does nothing if the row is not due or already being sent."""
    notifications.deliver(pk)


def retry_notifications() -> int:
    """Every minute: retries after backoff, and notifications whose task was lost."""
    return notifications.retry_due_notifications()
