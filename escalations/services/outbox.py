"""Desk events through a transactional outbox: written with the change, then handled once by every consumer.

Why rows and not a signal sent after commit: a process that died between its COMMIT and its on-commit callbacks lost
the signal for good (the breach stamped, its runbook never scheduled). A `DeskEvent` commits or rolls back with the
change it tells of, with a receipt for each consumer registered (other apps register in their AppConfig.ready, since
escalations never imports them).

Who handles them: right after the commit, the process that wrote the events drains them (templates still run within
milliseconds); the SLA clock loop drains what is left every second, and the hourly task
`escalations.tasks.drain_desk_events` too, which also prunes handled events after DESK_EVENT_RETENTION_DAYS.

Exactly once in effect: a drain claims receipts with a conditional UPDATE (open and not leased), so two drains never
handle one event at once; a drain that dies leaves its receipts to be claimed again after LEASE, and each consumer's
handler is idempotent for that case (templates_app: one TemplateRun and one DelayedTrigger per version, ticket and
occurrence). A handler that raises is logged and retried after the lease, and given up after MAX_ATTEMPTS, the error
kept on the receipt.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from escalations.bulk import insert_rows
from escalations.models import DeskEvent, DeskEventReceipt, Ticket
from escalations.signals import event_cause, event_scope

CONSUMERS: dict[str, Callable[[DeskEvent], None]] = {}
LEASE = timedelta(minutes=1)
MAX_ATTEMPTS = 5
BATCH = 100
PRUNE_BATCH = 1000
logger = logging.getLogger(__name__)


def register_consumer(name: str, handle: Callable[[DeskEvent], None]) -> None:
    """`handle(event)` is called for every desk event recorded from now on; it must be safe to call twice."""
    CONSUMERS[name] = handle


def record_ticket_event(ticket: Ticket, event: str, *, key: str = "", **details) -> None:
    """An audited change ("created", "updated") or other event of a ticket, told to every consumer once it commits."""
    record_ticket_events([(ticket, event, key)], **details)


def record_ticket_events(events: list[tuple[Ticket, str, str]], **details) -> None:
    """(ticket, event, key) events written in the caller's transaction with two statements, drained after it commits.

    `cause` is what was acting (an automation sets `event_cause` while it acts, to recognise its own events).
    """
    if not events:
        return
    cause = list(event_cause.get())
    with transaction.atomic(savepoint=False):
        rows = DeskEvent.objects.bulk_create(
            [
                DeskEvent(ticket_id=ticket.pk, event=event, key=key[:64], cause=cause, details=details)
                for ticket, event, key in events
            ]
        )
        insert_rows([DeskEventReceipt(event_id=row.pk, consumer=name) for row in rows for name in CONSUMERS])
        ids = [row.pk for row in rows]
        if CONSUMERS:
            transaction.on_commit(lambda: drain_desk_events(ids=ids, limit=len(ids)), robust=True)


def drain_desk_events(*, limit: int = 500, ids: list[int] | None = None) -> int:
    """Let every consumer take up to `limit` waiting events (only those of `ids` when given); returns how many it took.

    The events one call handles share an `event_scope`, where a consumer keeps what it read for the first of them.
    """
    handled = 0
    for consumer, handle in list(CONSUMERS.items()):
        token, left = event_scope.set({}), limit
        try:
            while left > 0 and (receipts := _claim(consumer, limit=min(BATCH, left), ids=ids)):
                _handle(receipts, handle)
                left -= len(receipts)
        finally:
            event_scope.reset(token)
        handled += limit - left
    return handled


def _claim(consumer: str, *, limit: int, ids: list[int] | None) -> list[DeskEventReceipt]:
    """The consumer's next open receipts that no other drain holds, leased to this one; fewest queries when idle."""
    now = timezone.now()
    free = Q(leased_until=None) | Q(leased_until__lt=now)
    claimable = DeskEventReceipt.objects.filter(free, consumer=consumer, done_at=None)
    if ids is not None:
        claimable = claimable.filter(event_id__in=ids)
    receipts = list(claimable.select_related("event").order_by("pk")[:limit])
    if not receipts:
        return []
    claim, picked = uuid4().hex, [receipt.pk for receipt in receipts]
    won = claimable.filter(pk__in=picked).update(claim=claim, leased_until=now + LEASE, attempts=F("attempts") + 1)
    if won < len(receipts):  # another drain claimed some of them between the two statements
        mine = set(DeskEventReceipt.objects.filter(pk__in=picked, claim=claim).values_list("pk", flat=True))
        receipts = [receipt for receipt in receipts if receipt.pk in mine]
    for receipt in receipts:
        receipt.claim, receipt.attempts = claim, receipt.attempts + 1
    return receipts


def _handle(receipts: list[DeskEventReceipt], handle: Callable[[DeskEvent], None]) -> None:
    done = []
    for receipt in receipts:
        try:
            handle(receipt.event)
        except Exception as error:
            _fail(receipt, error)
        else:
            done.append(receipt.pk)
    if done:
        DeskEventReceipt.objects.filter(pk__in=done, claim=receipts[0].claim).update(done_at=timezone.now())


def _fail(receipt: DeskEventReceipt, error: Exception) -> None:
    """Retried after the lease; after MAX_ATTEMPTS given up (done, with the error kept for the admins)."""
    event, gave_up = receipt.event, receipt.attempts >= MAX_ATTEMPTS
    logger.error(
        "Desk events: %s failed on %s of ticket %s (attempt %s%s)",
        receipt.consumer,
        event.event,
        event.ticket_id,
        receipt.attempts,
        ", given up" if gave_up else "; retried after the lease",
        exc_info=error,
    )
    DeskEventReceipt.objects.filter(pk=receipt.pk, claim=receipt.claim).update(
        error=f"{type(error).__name__}: {error}", done_at=timezone.now() if gave_up else None
    )


def prune_desk_events(*, now: datetime | None = None) -> int:
    """Delete the events older than DESK_EVENT_RETENTION_DAYS that every registered consumer is done with."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DESK_EVENT_RETENTION_DAYS)
    waiting = DeskEventReceipt.objects.filter(event=OuterRef("pk"), consumer__in=list(CONSUMERS), done_at=None)
    prunable = DeskEvent.objects.filter(created_at__lt=cutoff).exclude(Exists(waiting))
    pruned = 0
    while ids := list(prunable.values_list("pk", flat=True)[:PRUNE_BATCH]):
        _, deleted = DeskEvent.objects.filter(pk__in=ids).delete()
        pruned += deleted[DeskEvent._meta.label]
    return pruned
