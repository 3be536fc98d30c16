"""What templates did on tickets: each run, the checklist items people sign, and the records a run leaves."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from escalations.models import Ticket
from templates_app.models.governance import Event, TemplateVersion
from templates_app.models.inbound import InboundSource


class InboundEvent(models.Model):
    """A signal from another system about a ticket (CRM rejected a lead, a publishing pipeline failed …)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="inbound_events")
    name = models.CharField(max_length=100, help_text="What happened, e.g. lead_rejected, pipeline_failure.")
    source = models.CharField(max_length=100, blank=True, help_text="Where it came from, e.g. paid_campaign.")
    received_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    origin = models.ForeignKey(
        InboundSource, null=True, blank=True, on_delete=models.PROTECT, related_name="events", help_text="Posted by."
    )
    external_id = models.CharField(max_length=100, blank=True, help_text="The sending system's id of the event.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "external_id"],
                condition=Q(origin__isnull=False),
                name="inbound_event_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.name}"


class TemplateRun(models.Model):
    """One version run on one ticket for one event. Unique, so the same event never runs a version twice."""

    class Result(models.TextChoices):
        DONE = "done", "All steps done"
        FAILED = "failed", "A step failed: exception path taken"
        CAPPED = "capped", "Stopped: the ticket's cap on automated actions was reached"

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="runs")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="template_runs")
    event = models.CharField(max_length=20, choices=Event.choices)
    event_key = models.CharField(max_length=64, blank=True, help_text="Which occurrence: a deadline, an event id.")
    started_at = models.DateTimeField(default=timezone.now)
    steps_done = models.JSONField(default=list, help_text="Each step: kind, what it did, notifications it sent.")
    actions = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.DONE)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "ticket", "event", "event_key"], name="template_run_once")
        ]
        indexes = [models.Index(fields=["ticket", "started_at"], name="template_run_ticket_time")]

    def __str__(self) -> str:
        return f"{self.version} on {self.ticket.reference}"


class ChecklistItem(models.Model):
    """A human step: a decision an agent makes with the template's guidance, then signs on the ticket page."""

    run = models.ForeignKey(TemplateRun, on_delete=models.CASCADE, related_name="checklist")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="checklist_items")
    text = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class TicketRecord(models.Model):
    """What a step leaves on a ticket: a snapshot, a war room, a linked investigation ticket, a post-mortem."""

    class Kind(models.TextChoices):
        SNAPSHOT = "snapshot", "Snapshot of the ticket and its recent history"
        WAR_ROOM = "war_room", "War room"
        INVESTIGATION = "investigation", "Linked investigation ticket"
        POST_MORTEM = "post_mortem", "Post-mortem"

    run = models.ForeignKey(TemplateRun, on_delete=models.CASCADE, related_name="records")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="template_records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    link = models.URLField(max_length=500, blank=True)
    linked_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
