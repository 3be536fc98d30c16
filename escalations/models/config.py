"""What admins configure: tiers, their criteria, severities and customer accounts."""

from collections.abc import Iterable
from datetime import timedelta
from operator import attrgetter

from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from escalations.models.calendar import Calendar

DEFAULT_ACKNOWLEDGEMENT_TIMEOUT = timedelta(minutes=15)


class Tier(models.Model):
    """A support level (L1, L2, L3 …) with its team, SLAs and the point at which the clock escalates."""

    level = models.PositiveSmallIntegerField(unique=True, validators=[MinValueValidator(1)])
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="tiers")
    capabilities = models.JSONField(default=list, blank=True)
    first_response_sla = models.DurationField(help_text="Time allowed for the first response, e.g. 4:00:00.")
    resolution_target = models.DurationField(help_text="Time allowed to resolve, counted from the ticket's creation.")
    escalate_at_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the resolution target after which the ticket escalates automatically.",
    )
    acknowledgement_timeout = models.DurationField(
        default=DEFAULT_ACKNOWLEDGEMENT_TIMEOUT, help_text="How long a new owner has to acknowledge before failover."
    )
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tiers",
        help_text="Business hours the SLAs count in; empty means around the clock.",
    )
    pause_on_waiting = models.BooleanField(
        default=True, help_text="Stop the resolution clock while the ticket waits on the customer."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalate_at_percent__gte=1, escalate_at_percent__lte=100),
                name="tier_escalate_at_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(first_response_sla__gt=timedelta(0)), name="tier_first_response_positive"
            ),
            models.CheckConstraint(condition=Q(resolution_target__gt=timedelta(0)), name="tier_resolution_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} · {self.name}"

    @property
    def label(self) -> str:
        return f"L{self.level}"

    def tiers_above(self, ladder: Iterable["Tier"] | None = None) -> list["Tier"]:
        """The active tiers above this one, nearest first, among `ladder` (tiers read already; else all of them)."""
        ladder = Tier.objects.filter(is_active=True) if ladder is None else ladder
        return sorted((tier for tier in ladder if tier.is_active and tier.level > self.level), key=attrgetter("level"))

    def above(self, ladder: Iterable["Tier"] | None = None) -> "Tier | None":
        """The next tier up: the ladder is climbed one tier at a time unless a severity routes higher."""
        return next(iter(self.tiers_above(ladder)), None)


class EscalationCriterion(models.Model):
    """One of the organisation's own reasons to escalate out of a tier."""

    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="criteria")
    text = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["tier__level", "position", "pk"]
        verbose_name_plural = "escalation criteria"
        constraints = [models.UniqueConstraint(fields=["tier", "text"], name="criterion_unique_per_tier")]

    def __str__(self) -> str:
        return f"{self.tier.label}: {self.text}"


class NotificationChannel(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty page"
    SLACK_ONCALL = "slack_oncall", "Slack on-call channel"
    SLACK_CHANNEL = "slack_channel", "Slack team channel"
    EMAIL = "email", "Email"
    TICKET = "ticket", "Ticket only"


class Severity(models.Model):
    """P0–P3 (SEV1–SEV4); a severity may route straight to a tier, bypassing the ladder."""

    class Code(models.TextChoices):
        P0 = "P0", "P0 (SEV1)"
        P1 = "P1", "P1 (SEV2)"
        P2 = "P2", "P2 (SEV3)"
        P3 = "P3", "P3 (SEV4)"

    code = models.CharField(max_length=2, choices=Code.choices, unique=True)
    description = models.CharField(max_length=255)
    route_to = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_severities",
        help_text="Severity override: tickets of this severity go straight to this tier.",
    )
    notification_channel = models.CharField(
        max_length=20, choices=NotificationChannel.choices, default=NotificationChannel.TICKET
    )
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="severities",
        help_text="Overrides the tier's calendar, e.g. 24×7 for P0/P1.",
    )
    acknowledgement_timeout = models.DurationField(
        null=True, blank=True, help_text="Overrides the tier's acknowledgement timeout, e.g. 5 minutes for P0."
    )
    customer_update_cadence = models.DurationField(
        null=True, blank=True, help_text="How often the customer hears from us while the ticket is open."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return self.code

    @property
    def is_critical(self) -> bool:
        """P0 and P1: production outages and degradations, shown in red everywhere."""
        return self.code in (self.Code.P0, self.Code.P1)

    @property
    def sev_label(self) -> str:
        return f"SEV{int(self.code[1]) + 1}"


class Account(models.Model):
    """The customer organisation a ticket belongs to."""

    class AccountTier(models.TextChoices):
        ENTERPRISE = "enterprise", "Enterprise"
        PREMIUM = "premium", "Premium"
        STANDARD = "standard", "Standard"

    name = models.CharField(max_length=200, unique=True)
    tier = models.CharField(max_length=20, choices=AccountTier.choices, default=AccountTier.STANDARD)
    arr = models.PositiveIntegerField("ARR (USD)", default=0)
    health_score = models.PositiveSmallIntegerField(default=100, validators=[MaxValueValidator(100)])
    primary_contact = models.EmailField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(health_score__lte=100), name="account_health_is_a_percentage")
        ]

    def __str__(self) -> str:
        return self.name
