"""What the bell, the inbox, the failed deliveries page and the ticket timeline show of notifications."""

from datetime import timedelta
from itertools import groupby
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from escalations.models import Notification, Ticket
from escalations.selectors.entries import TimelineEntry

# A notification delivered (or still undelivered) this long after it was written shows on the timeline as late.
LATE_AFTER = timedelta(seconds=60)
Channel, Status = Notification.Channel, Notification.Status
NOTIFICATIONS_ACTOR = "notifications"


def _in_app(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP)


def unread_count(user) -> int:
    """The bell's number: one COUNT on the (recipient, read_at) index."""
    if not user.is_authenticated:
        return 0
    return _in_app(user).filter(read_at__isnull=True).count()


def inbox(user, limit: int = 30) -> list[Notification]:
    """The user's latest in-app notifications, newest first, with their tickets: one query."""
    return list(_in_app(user).select_related("ticket").order_by("-created_at", "-pk")[:limit])


def delivery_target(notification: Notification) -> str:
    """Who or where, in words a manager can act on; a webhook shows its name and host, never its secret URL path."""
    if notification.channel == Channel.WEBHOOK:
        endpoint = notification.webhook
        if endpoint is None:
            return "deleted webhook"
        address = urlsplit(endpoint.url)
        host = f"{address.hostname}:{address.port}" if address.port else address.hostname
        return f"{endpoint.name} ({host or 'no host'})"
    person = notification.recipient
    if person is None:
        return "—"
    if notification.channel == Channel.EMAIL:
        return f"{person.get_username()} <{person.email}>" if person.email else f"{person.get_username()} (no email)"
    return person.get_username()


def _with_targets(notifications) -> list[Notification]:
    rows = list(notifications)
    for row in rows:
        row.target = delivery_target(row)
    return rows


def _deliveries() -> QuerySet[Notification]:
    return Notification.objects.exclude(channel=Channel.IN_APP).select_related("ticket", "recipient", "webhook")


def failed_deliveries(limit: int = 200) -> list[Notification]:
    """Given-up notifications, newest first, each with a `target`: one query."""
    return _with_targets(_deliveries().filter(status=Status.FAILED).order_by("-created_at", "-pk")[:limit])


def retrying_deliveries(limit: int = 200) -> list[Notification]:
    """Pending notifications that have failed at least once and wait for their next attempt: one query."""
    waiting = _deliveries().filter(status=Status.PENDING, attempts__gt=0).exclude(last_error="")
    return _with_targets(waiting.order_by("next_attempt_at", "pk")[:limit])


def ticket_notifications(ticket: Ticket) -> list[Notification]:
    return list(ticket.notifications.select_related("recipient", "webhook").order_by("created_at", "subject", "pk"))


def notification_entries(ticket: Ticket, *, now=None, rows: list[Notification] | None = None) -> list[TimelineEntry]:
    """The ticket's notifications for its timeline, in one query (none when the caller already read `rows`).

    Failed and late ones (delivered, or still undelivered, more than LATE_AFTER after they were written) get an entry
    each; the others are folded into one compact entry per message ("Notified: …" with every recipient and channel).
    """
    now = now or timezone.now()
    rows = ticket_notifications(ticket) if rows is None else rows
    entries = []
    on_time = []
    for row in rows:
        entry = _problem_entry(row, now)
        if entry:
            entries.append(entry)
        else:
            on_time.append(row)
    for (created_at, subject), group in groupby(on_time, key=lambda row: (row.created_at, row.subject)):
        entries.append(_compact_entry(created_at, subject, list(group)))
    return entries


def _failed_link(notification: Notification) -> str:
    return f"{reverse('escalations:notifications_failed')}#notification-{notification.pk}"


def _channel_words(notification: Notification) -> str:
    if notification.channel == Channel.WEBHOOK:
        return f"webhook {delivery_target(notification)}"
    return f"{notification.get_channel_display().lower()} to {delivery_target(notification)}"


def _problem_entry(row: Notification, now) -> TimelineEntry | None:
    attempts = f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}"
    if row.status == Status.FAILED:
        return TimelineEntry(
            at=row.created_at,
            actor=NOTIFICATIONS_ACTOR,
            kind="notification-failed",
            title=f"Notification failed: {_channel_words(row)} ({attempts})",
            body=f"{row.subject}\n{row.last_error}".strip(),
            link=_failed_link(row),
        )
    if row.status == Status.DELIVERED and row.delivered_at and row.delivered_at - row.created_at > LATE_AFTER:
        delay = _duration(row.delivered_at - row.created_at)
        return TimelineEntry(
            at=row.created_at,
            actor=NOTIFICATIONS_ACTOR,
            kind="notification-late",
            title=f"Notification delivered {delay} late: {_channel_words(row)} ({attempts})",
            body=row.subject,
        )
    if row.status == Status.PENDING and now - row.created_at > LATE_AFTER:
        error = f"\nLast error: {row.last_error}" if row.last_error else ""
        return TimelineEntry(
            at=row.created_at,
            actor=NOTIFICATIONS_ACTOR,
            kind="notification-late",
            title=f"Notification not delivered yet after {_duration(now - row.created_at)}: {_channel_words(row)} "
            f"({attempts}, next {timezone.localtime(row.next_attempt_at):%H:%M:%S})",
            body=f"{row.subject}{error}",
        )
    return None


def _compact_entry(created_at, subject: str, rows: list[Notification]) -> TimelineEntry:
    parts = []
    for row in rows:
        words = _channel_words(row)
        parts.append(words if row.status == Status.DELIVERED else f"{words} (sending)")
    return TimelineEntry(
        at=created_at,
        actor=NOTIFICATIONS_ACTOR,
        kind="notification",
        title=f"Notified: {subject}",
        body="; ".join(parts),
    )


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
