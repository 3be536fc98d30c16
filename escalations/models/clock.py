"""What the SLA clock did, once per deadline, and the notifications that prove people were told."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from escalations.delivery import new_secret, validate_webhook_url
from escalations.models.config import Severity
from escalations.models.ticket import Ticket


class SlaEvent(models.Model):
    """One deadline passing and what the clock did about it.

    The unique (ticket, kind, deadline) row is inserted in the acting transaction: a second sweep, a second
    cluster or a retried task cannot act on the same deadline again.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT_TIMEOUT = "ack_timeout", "Acknowledgement timeout"
        ESCALATE_AT = "escalate_at", "Escalation point (share of the resolution target)"
        FIRST_RESPONSE_BREACH = "first_response_breach", "First response breached"
        RESOLUTION_BREACH = "resolution_breach", "Resolution breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    deadline = models.DateTimeField()
    acted_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=300)

    class Meta:
        ordering = ["-acted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "deadline"], name="sla_event_once_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.get_kind_display()}"

    @property
    def lateness(self):
        return self.acted_at - self.deadline


class WebhookEndpoint(models.Model):
    """Where a team's or a severity's notifications are POSTed (e.g. a Slack incoming webhook), signed.

    The signing secret is kept (it signs every request) but shown only once, when made; after a rotation the
    previous secret signs too until `previous_secret_expires_at`, so receivers can switch without losing a message.
    Neither secret is copied into the history.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text="http(s), to a public address (or a host in WEBHOOK_ALLOWED_HOSTS); redirects are not followed.",
    )
    team = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks")
    severity = models.ForeignKey(Severity, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks")
    slack_format = models.BooleanField(default=False, help_text='Send a Slack-compatible {"text": …} payload.')
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["secret", "previous_secret"])

    def __str__(self) -> str:
        return self.name

    def overlap_ends(self, now):
        """When the previous secret stops signing, while it still signs; else None."""
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return self.previous_secret_expires_at
        return None

    def signing_secrets(self, now) -> list[str]:
        """The current secret, then the previous one while its overlap lasts."""
        return [self.secret, self.previous_secret] if self.overlap_ends(now) else [self.secret]


class Notification(models.Model):
    """One message to one recipient on one channel, with every delivery attempt's outcome."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"
        IN_APP = "in_app", "In-app"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    webhook = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_pending_due", condition=models.Q(status="pending")
            ),
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject}"


class Profile(models.Model):
    """A person's desk settings. Someone away is skipped at once when the clock fails over."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_profile")
    is_away = models.BooleanField(default=False)
    away_since = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.user}: {'away' if self.is_away else 'available'}"


class ClockLease(models.Model):
    """Which clock loop sweeps now: the holder renews `expires_at` every second, a standby takes it once it lapses.

    Every cluster worker runs a loop; only the holder sweeps, so a killed cluster's clock resumes in another
    within seconds. Taking and renewing are conditional UPDATEs, never a transaction held across a sleep.
    """

    name = models.CharField(max_length=30, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'nobody'} until {self.expires_at:%H:%M:%S}"
