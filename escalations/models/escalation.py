"""The records of how a ticket moved: escalations with their notes and evidence, ownership transfers, notes."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from escalations.models.config import EscalationCriterion, Tier
from escalations.models.ticket import Ticket

ATTACHMENT_EXTENSIONS = {".txt", ".log", ".har", ".json", ".csv", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip"}


class Escalation(models.Model):
    """One move of a ticket between tiers, up or down, with why it happened. Never edited after the fact."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual (criteria met)"
        OVERRIDE = "override", "Manager override"
        SEVERITY = "severity", "Severity override"
        SLA = "sla", "SLA"
        FAILOVER = "failover", "Acknowledgement failover"
        DEESCALATION = "deescalation", "De-escalation"
        TEMPLATE = "template", "Guided template"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    criteria = models.ManyToManyField(EscalationCriterion, blank=True, related_name="escalations")
    rationale = models.TextField()
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="escalation_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.from_tier.label} → {self.to_tier.label}"


class EscalationNote(models.Model):
    """The structured context the receiving tier needs: the escalation note and the engineering checklist."""

    escalation = models.OneToOneField(Escalation, on_delete=models.CASCADE, related_name="note")
    summary = models.CharField(max_length=300)
    symptoms = models.JSONField(default=list, blank=True)
    customer_impact = models.TextField(blank=True)
    business_impact = models.TextField(blank=True)
    affected_users = models.PositiveIntegerField(null=True, blank=True)
    steps_taken = models.JSONField(default=list, blank=True)
    reproduction_steps = models.TextField(blank=True)
    expected_behaviour = models.TextField(blank=True)
    actual_behaviour = models.TextField(blank=True)
    environment = models.CharField(max_length=300, blank=True, help_text="Product version, browser, OS, region…")
    logs = models.TextField(blank=True)
    linked_tickets = models.CharField(max_length=500, blank=True)
    escalation_reason = models.TextField(blank=True)
    suggested_next_step = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.summary


def _attachment_path(instance: "EscalationAttachment", filename: str) -> str:
    return f"escalations/{instance.escalation.ticket.number}/{timezone.now():%Y%m%d%H%M%S}-{Path(filename).name}"


def validate_attachment(upload) -> None:
    limit = settings.ESCALATION_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"{upload.name} is {upload.size // 1024} KB; attachments may be at most {limit // 1024} KB."
        )
    if Path(upload.name).suffix.lower() not in ATTACHMENT_EXTENSIONS:
        allowed = ", ".join(sorted(ATTACHMENT_EXTENSIONS))
        raise ValidationError(f"{upload.name}: only these file types can be attached: {allowed}.")


class EscalationAttachment(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, validators=[validate_attachment])
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class OwnershipTransfer(models.Model):
    """An explicit handover of a ticket role, with the reason and the response the new owner owes."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary owner"
        BACKUP = "backup", "Backup owner"
        ESCALATION = "escalation", "Escalation owner"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    role = models.CharField(max_length=20, choices=Role.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    expected_response = models.DurationField(help_text="How soon the new owner is expected to respond.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="transfer_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.get_role_display()} → {self.to_owner}"


class TicketNote(models.Model):
    """An internal note for colleagues, or a public reply the customer sees."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal note"
        PUBLIC = "public", "Public reply"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="note_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.get_visibility_display()}"


class BounceRefusal(models.Model):
    """A tier move refused because the ticket would bounce back and forth between tiers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="bounce_refusals")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: refused {self.from_tier.label} → {self.to_tier.label}"
