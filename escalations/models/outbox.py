"""What happened to tickets, kept as rows for the apps that act on it (a transactional outbox).

A `DeskEvent` is written in the transaction of the change it tells of, with one `DeskEventReceipt` per consumer
registered then: if the change commits, every consumer will hear of it, even when the process dies right after the
commit; if it rolls back, nobody does. Consumers and the drain are in services.outbox.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalations.models.ticket import Ticket


class DeskEvent(models.Model):
    """One event of a ticket: "created", "updated", a clock action ("sla_breached" …) or an inbound event."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="desk_events")
    event = models.CharField(max_length=30)
    key = models.CharField(max_length=64, blank=True, help_text="The occurrence, e.g. the deadline that passed.")
    cause = models.JSONField(default=list, blank=True, help_text="The templates acting when the event was caused.")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.event} of ticket {self.ticket_id}"


class DeskEventReceipt(models.Model):
    """One consumer's progress on one event: claimed until `leased_until`, then done (or given up, with the error).

    A consumer claims a receipt with a conditional UPDATE (open and not leased), so two drains never handle an event
    at once; one that dies leaves its receipts to be claimed again once the lease is over.
    """

    event = models.ForeignKey(DeskEvent, on_delete=models.CASCADE, related_name="receipts", db_index=False)
    consumer = models.CharField(max_length=50)
    claim = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="desk_event_receipt_once")]
        indexes = [
            models.Index(fields=["consumer", "id"], condition=Q(done_at__isnull=True), name="desk_event_receipt_open")
        ]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event}"
