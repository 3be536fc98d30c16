"""What the templates' own clock waits for: delayed triggers and validation windows. Each is acted on exactly once.

Both are rows with a due time and a state; the sweep claims a row with a conditional UPDATE of its state
(pending → done) inside the transaction that acts, so a second sweep, cluster or retry finds nothing to claim.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalations.models import Ticket
from templates_app.models.governance import Event, TemplateVersion
from templates_app.models.runs import TemplateRun


class DelayedTrigger(models.Model):
    """An event that matched a version with a delay: when due, the version runs if its conditions still hold."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        RAN = "ran", "Ran"
        DROPPED = "dropped", "Dropped"

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="delayed_triggers")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="delayed_triggers")
    event = models.CharField(max_length=20, choices=Event.choices)
    event_key = models.CharField(max_length=64, blank=True)
    inbound = models.JSONField(null=True, blank=True, help_text="The inbound event's facts, when it was one.")
    cause = models.JSONField(default=list, blank=True, help_text="Templates whose actions caused the event.")
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "ticket", "event", "event_key"], name="delayed_trigger_once")
        ]
        indexes = [models.Index(fields=["due_at"], condition=Q(state="pending"), name="delayed_trigger_due")]

    def __str__(self) -> str:
        return f"{self.version} on {self.ticket.reference} at {self.due_at:%Y-%m-%d %H:%M}"


class ValidationWindow(models.Model):
    """A run's checklist is to be signed before `due_at`; if it is not, the ticket goes to the window's owner.

    Its own record, so that no recompute of the ticket's SLA deadlines can move or erase it.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Open"
        VALIDATED = "validated", "Validated in time"
        PASSED = "passed", "Passed unsigned: handed over"
        FAILED = "failed", "Passed unsigned: the hand-over was refused"
        CLOSED = "closed", "Ticket closed before it passed"

    run = models.OneToOneField(TemplateRun, on_delete=models.CASCADE, related_name="validation_window")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="validation_windows")
    due_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    outcome = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["due_at"], condition=Q(state="pending"), name="validation_window_due")]

    def __str__(self) -> str:
        return f"Validation of {self.run} due {self.due_at:%Y-%m-%d %H:%M}"
