"""Notifications that prove delivery: one row per recipient and channel, delivered after commit, retried with backoff.

The life of a notification:

1. `notify` inserts the rows in the acting transaction. In-app rows are delivered by being written; email and
   webhook rows start `pending` and are queued for the django-q2 cluster only once the transaction commits, so a
   rolled-back action tells nobody anything. One task takes an action's emails (each is quickly handed to the mail
   server), and each webhook has a task of its own (it may take up to the timeout): a sweep acting on hundreds of
   tickets queues hundreds of tasks, not thousands.
2. `deliver` claims the row with a conditional UPDATE, records the attempt, sends, and records the outcome:
   `delivered`, or `pending` again with a backed-off `next_attempt_at`, or `failed` with the error once
   NOTIFICATION_MAX_ATTEMPTS attempts have failed.
3. `retry_due_notifications` (the minute schedule) delivers every pending row whose time has come: the retries,
   and rows whose task was lost on the way (a broker down at commit, a worker killed with the task in hand).

Webhooks go out through `escalations.delivery`: to public addresses only, signed, redirects not followed.

Delivery is at least once: a worker that dies after sending but before recording the outcome leaves a claimed row,
which is sent again when its lease runs out. Everything short of that crash sends each notification once.
"""

import http.client
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from escalations import delivery, roles
from escalations.bulk import insert_rows
from escalations.models import Notification, Ticket, WebhookEndpoint

logger = logging.getLogger(__name__)

DELIVER_TASK = "escalations.tasks.deliver_notifications"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# How long a claimed row is left alone by other workers. Far longer than one send (the webhook timeout, an SMTP
# exchange), so a lease only runs out when the worker holding it died.
LEASE = timedelta(minutes=5)
ERROR_MAX_CHARS = 200
Channel, Status = Notification.Channel, Notification.Status


class DeliveryError(Exception):
    """A failed attempt, already described in words; it is retried."""


class Undeliverable(Exception):
    """Retrying cannot help (no address, the endpoint was removed): the notification fails at once."""


# -- settings -----------------------------------------------------------------------------------------------------


def positive_setting(name: str, default: float, kind: type = float) -> float:
    value = getattr(settings, name, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if number <= 0 or (kind is int and number != value):
        raise ImproperlyConfigured(f"{name}={value!r} must be a positive {'whole ' if kind is int else ''}number")
    return number


def webhook_timeout() -> float:
    """Seconds a webhook may take to connect and to answer each read (NOTIFICATION_WEBHOOK_TIMEOUT, default 5)."""
    return positive_setting("NOTIFICATION_WEBHOOK_TIMEOUT", 5.0)


def max_attempts() -> int:
    """Attempts before a notification is given up as failed (NOTIFICATION_MAX_ATTEMPTS, default 5)."""
    return positive_setting("NOTIFICATION_MAX_ATTEMPTS", 5, int)


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def backoff(attempts: int) -> timedelta:
    """30 s after the first failed attempt, then 1, 2, 4 … minutes, never more than an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


# -- creating ------------------------------------------------------------------------------------------------------


def managers_of(ticket: Ticket | None = None) -> QuerySet:
    """Active people granted manage_tickets (through a group or directly), in one query; today every ticket's.

    Superusers are left out: they administer the desk, they are not on the escalation rota. So is the SLA clock's
    own account, which is a manager so that it can act but reads nothing.
    """
    from escalations.services.clock import CLOCK_USERNAME

    app_label, codename = roles.MANAGE_TICKETS.split(".")
    granted = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    )
    return (
        get_user_model()
        .objects.filter(granted, is_active=True)
        .exclude(username=CLOCK_USERNAME)
        .distinct()
        .order_by("username")
    )


def active_webhooks() -> list[WebhookEndpoint]:
    """Every active endpoint, in one query: there are few, and a sweep matches them to many tickets."""
    return list(WebhookEndpoint.objects.filter(is_active=True).order_by("pk"))


def webhooks_for(ticket: Ticket, endpoints: Iterable[WebhookEndpoint]) -> list[WebhookEndpoint]:
    """The endpoints whose team is the ticket's tier team and whose severity is the ticket's.

    An endpoint leaves a field empty to match any value: team only (every ticket of that team's tiers),
    severity only (every P0, say), both (the team's P0s), neither (every ticket).
    """
    return [
        endpoint
        for endpoint in endpoints
        if endpoint.is_active
        and endpoint.team_id in (None, ticket.tier.team_id)
        and endpoint.severity_id in (None, ticket.severity_id)
    ]


def notify(
    *,
    ticket: Ticket | None,
    subject: str,
    body: str,
    recipients: Iterable = (),
    channels: Iterable[str] = (Channel.IN_APP, Channel.EMAIL),
    webhooks: bool = True,
) -> list[Notification]:
    """Write one notification per recipient and channel (and per matching webhook) in the current transaction.

    Call it inside the transaction of the action being notified: if that rolls back, the rows go with it and
    nothing is queued. In-app rows count as delivered when written. Email rows are only made for people with an
    address; inactive accounts are skipped. Nobody is skipped for being away: the clock decides ownership,
    a notification only tells.
    """
    endpoints = webhooks_for(ticket, active_webhooks()) if webhooks and ticket is not None else []
    rows = notification_rows(
        ticket=ticket, subject=subject, body=body, recipients=recipients, channels=channels, webhooks=endpoints
    )
    return notifications_save(rows)


def notification_rows(
    *,
    ticket: Ticket | None,
    subject: str,
    body: str,
    recipients: Iterable,
    channels: Iterable[str] = (Channel.IN_APP, Channel.EMAIL),
    webhooks: Iterable[WebhookEndpoint] = (),
) -> list[Notification]:
    """The unsaved rows `notify` writes, built without a query, so that a sweep can write many actions' at once."""
    channels = set(channels)
    unknown = channels - set(Channel.values) | (channels & {Channel.WEBHOOK})
    if unknown:
        raise ValueError(f"Unknown recipient channel(s) {sorted(unknown)}: use in_app and email (webhooks=True).")
    now = timezone.now()
    common = {"ticket": ticket, "subject": subject[:200], "body": body, "created_at": now, "next_attempt_at": now}
    rows, seen = [], set()
    for person in recipients:
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        if Channel.IN_APP in channels:
            rows.append(
                Notification(
                    recipient=person, channel=Channel.IN_APP, status=Status.DELIVERED, delivered_at=now, **common
                )
            )
        if Channel.EMAIL in channels and person.email:
            rows.append(Notification(recipient=person, channel=Channel.EMAIL, **common))
    rows += [Notification(webhook=endpoint, channel=Channel.WEBHOOK, **common) for endpoint in webhooks]
    return rows


def notifications_save(rows: list[Notification]) -> list[Notification]:
    """Insert the rows in one query; the ones to send are queued once the current transaction commits."""
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    tasks = defaultdict(list)
    for row in created:
        if row.status == Status.PENDING:
            one_task = ("webhook", row.pk) if row.channel == Channel.WEBHOOK else ("emails", row.ticket_id, row.subject)
            tasks[one_task].append(row.pk)
    if tasks:
        _enqueue_on_commit(list(tasks.values()))
    return created


def notifications_save_many(rows: list[Notification]) -> None:
    """As `notifications_save`, for a sweep's thousands of rows: the in-app rows, delivered by being written and
    never queued, are inserted without reading their primary keys back."""
    insert_rows([row for row in rows if row.status == Status.DELIVERED])
    notifications_save([row for row in rows if row.status != Status.DELIVERED])


def _enqueue_on_commit(tasks: list[list[int]]) -> None:
    """Queue one delivery task per list of notification ids once the acting transaction commits (at once outside one).

    Robust: the action is committed by then, and a broker that is down must not turn it into an error page.
    The rows stay pending and the minute sweep delivers them.
    """

    def enqueue_deliveries() -> None:
        for notification_ids in tasks:
            async_task(DELIVER_TASK, notification_ids)

    transaction.on_commit(enqueue_deliveries, robust=True)


# -- delivering ----------------------------------------------------------------------------------------------------


def deliver(notification_id: int) -> None:
    """Make one delivery attempt, if the notification is due and nobody else is attempting it.

    Safe to run twice, at once or one after the other (a task retried by django-q2, the sweep racing the task):
    - the claim is one conditional UPDATE (`status=pending and next_attempt_at <= now`); the database lets exactly
      one caller change the row, and it moves next_attempt_at past the lease, so every other caller changes
      nothing and returns without sending;
    - the attempt is counted by that same UPDATE, before calling out, so a crash mid-send still shows;
    - the outcome is written only if the row is still the one this attempt claimed (pending, same attempt count):
      a manual retry or a lease taken over after a very slow send is never overwritten with a stale result;
    - a delivered or failed row is never claimed again, so a late duplicate task does nothing.
    """
    _attempt(notification_id)


def _attempt(notification_id: int, now: datetime | None = None) -> bool:
    """One claimed attempt; False when the row was not due or someone else holds it."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + LEASE
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("ticket", "recipient", "webhook").get(pk=notification_id)
    this_attempt = Notification.objects.filter(
        pk=notification_id, status=Status.PENDING, attempts=notification.attempts
    )
    try:
        _send(notification)
    except Exception as error:
        finished = timezone.now()
        give_up = isinstance(error, Undeliverable) or notification.attempts >= max_attempts()
        message = describe_error(error)
        if give_up:
            recorded = this_attempt.update(status=Status.FAILED, last_error=message)
        else:
            recorded = this_attempt.update(
                last_error=message, next_attempt_at=finished + backoff(notification.attempts)
            )
        logger.warning(
            "Notification %s attempt %s %s: %s",
            notification_id,
            notification.attempts,
            "failed for good" if give_up else "failed, will retry",
            message,
        )
    else:
        recorded = this_attempt.update(status=Status.DELIVERED, delivered_at=timezone.now(), last_error="")
    if not recorded:
        logger.warning(
            "Notification %s changed during attempt %s; its outcome was not recorded",
            notification_id,
            notification.attempts,
        )
    return True


def retry_due_notifications(limit: int = 200, *, budget_seconds: float = 60.0) -> int:
    """Attempt every pending notification whose next attempt is due, oldest first; returns the attempts made.

    This is what retries after a backoff, and what rescues a notification whose task never ran. It stops
    starting new attempts after `budget_seconds`, well inside the cluster's task timeout; the rest wait a minute.
    One failing row never stops the sweep: its failure is recorded and the sweep goes on.
    """
    started = timezone.now()
    due = Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=started).order_by("next_attempt_at")
    attempts = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if (timezone.now() - started).total_seconds() > budget_seconds:
            break
        try:
            attempts += _attempt(pk)
        except Exception:  # a database hiccup on one row: log it, go on
            logger.exception("Notification %s could not be attempted", pk)
    return attempts


def _send(notification: Notification) -> None:
    if notification.channel == Channel.EMAIL:
        _send_email(notification)
    elif notification.channel == Channel.WEBHOOK:
        _send_webhook(notification)
    elif notification.channel != Channel.IN_APP:  # an in-app row is delivered by being written
        raise Undeliverable(f"Unknown channel {notification.channel!r}")


def ticket_url(ticket: Ticket | None) -> str:
    if ticket is None:
        return site_url() + "/"
    return site_url() + reverse("escalations:ticket", args=[ticket.number])


def _send_email(notification: Notification) -> None:
    address = notification.recipient.email if notification.recipient else ""
    if not address:
        raise Undeliverable("The recipient has no email address.")
    body = f"{notification.body}\n\n{ticket_url(notification.ticket)}"
    send_mail(notification.subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)


def slack_escaped(text: str) -> str:
    """Slack reads <…> as links and mentions (<!channel>) and &… as entities: people's text must not."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(notification: Notification, *, slack: bool) -> dict:
    url = ticket_url(notification.ticket)
    reference = notification.ticket.reference if notification.ticket else ""
    if slack:
        link = f" <{url}|{slack_escaped(reference)}>" if reference else ""
        return {"text": f"*{slack_escaped(notification.subject)}*{link}\n{slack_escaped(notification.body)}"}
    return {"ticket": reference, "subject": notification.subject, "body": notification.body, "url": url}


def webhook_id(notification: Notification) -> str:
    """The same on every attempt, so a receiver can tell a retry from a new message."""
    return f"msg_{notification.pk}"


def _send_webhook(notification: Notification) -> None:
    endpoint = notification.webhook
    if endpoint is None:
        raise Undeliverable("The webhook endpoint was deleted.")
    if not endpoint.is_active:
        raise Undeliverable(f"The webhook endpoint {endpoint.name!r} was deactivated.")
    body = json.dumps(webhook_payload(notification, slack=endpoint.slack_format)).encode()
    now = timezone.now()
    signed = delivery.signed_headers(
        endpoint.signing_secrets(now), message_id=webhook_id(notification), timestamp=int(now.timestamp()), body=body
    )
    headers = {"Content-Type": "application/json", "User-Agent": "EscalationDesk-Notifications/1", **signed}
    timeout = webhook_timeout()
    try:
        status = delivery.post(endpoint.url, body=body, headers=headers, timeout=timeout)
    except delivery.UnsafeAddress as error:
        raise Undeliverable(f"Refused: {error}") from error
    except delivery.HostNotFound as error:
        raise DeliveryError(str(error)) from error
    except TimeoutError as error:  # no connection, or no answer, within the timeout
        raise DeliveryError(f"Timed out after {timeout:g} s") from error
    if not 200 <= status < 300:  # redirects included: they are not followed
        raise DeliveryError(f"HTTP {status} {_phrase(status)}".strip())


def _phrase(status: int) -> str:
    """The standard words for a status, never the receiver's own (which it could fill with anything)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def describe_error(error: Exception) -> str:
    """What went wrong in a line, for the failed deliveries page: never the webhook's URL (a secret), nor what the
    receiver answered beyond its status."""
    if isinstance(error, Undeliverable | DeliveryError):
        message = str(error)
    elif isinstance(error, http.client.HTTPException):
        message = f"Not an HTTP answer ({type(error).__name__})"
    elif isinstance(error, OSError) and error.strerror:
        message = f"{type(error).__name__}: {error.strerror}"
    else:
        message = f"{type(error).__name__}: {error}"
    return message[:ERROR_MAX_CHARS]


# -- reading and retrying -----------------------------------------------------------------------------------------


def mark_read(*, user, notification_ids: Iterable[int] | None = None, up_to_id: int | None = None) -> int:
    """Mark the user's unread in-app notifications read; returns how many.

    Only those listed when ids are given; only those up to `up_to_id` when given, so "mark all read" on a page
    never swallows a notification that arrived after the page was drawn.
    """
    unread = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    if up_to_id is not None:
        unread = unread.filter(pk__lte=up_to_id)
    return unread.update(read_at=timezone.now())


def notification_retry(*, notification_id: int, by) -> Notification:
    """A manager sends a failed notification again now: one more attempt, queued after commit.

    The row keeps its attempt count, so if this attempt fails too it goes straight back to `failed`.
    The conditional UPDATE makes a double click harmless: only a row that is still failed is reset.
    """
    if not roles.is_manager(by):
        raise PermissionDenied("Only managers can retry notifications.")
    with transaction.atomic():
        reset = (
            Notification.objects.filter(pk=notification_id, status=Status.FAILED)
            .exclude(channel=Channel.IN_APP)
            .update(status=Status.PENDING, next_attempt_at=timezone.now())
        )
        if not reset:
            raise ValidationError("That notification is no longer failed: it was retried already.")
        logger.info("Notification %s retried by %s", notification_id, by.get_username())
        _enqueue_on_commit([[notification_id]])
    return Notification.objects.get(pk=notification_id)
