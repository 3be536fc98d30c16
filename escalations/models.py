from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from escalations import roles


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


class EscalationCriterion(models.Model):
    """One of the organisation's own reasons to escalate out of a tier (seed 001, seed 002)."""

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


class Ticket(ConcurrentTransitionMixin, models.Model):
    """A customer issue. Its status changes only through the transitions below, called by escalations.services."""

    REFERENCE_PREFIX = "SUP-"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ASSIGNED = "assigned", "Assigned (awaiting acknowledgement)"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)
    WORKING_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)

    class Category(models.TextChoices):
        AUTHENTICATION = "authentication", "Authentication / SSO"
        BILLING = "billing", "Billing"
        INTEGRATION = "integration", "Integration"
        PERFORMANCE = "performance", "Performance"
        DATA = "data", "Data integrity"
        BUG = "bug", "Product bug"
        SECURITY = "security", "Security"
        HOW_TO = "how_to", "How-to question"
        ACCOUNT = "account", "Account management"

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="tickets")
    category = models.CharField(max_length=20, choices=Category.choices)
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="tickets")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="tickets")
    requester = models.CharField(max_length=200, help_text="Who reported it: name or email of the customer contact.")
    primary_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="primary_tickets"
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="backup_tickets"
    )
    escalation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation_owner_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="created_tickets"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_due = models.DateTimeField(editable=False)
    resolution_due = models.DateTimeField(editable=False)
    status = FSMField(default=Status.NEW, choices=Status.choices, protected=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["resolution_due"]
        permissions = [
            ("work_tickets", "Can work the tickets of their tier"),
            ("manage_tickets", "Can work every ticket and override escalation rules"),
        ]
        indexes = [
            models.Index(
                fields=["first_response_due"],
                name="ticket_open_first_response_due",
                condition=Q(status__in=["new", "assigned", "in_progress", "waiting_on_customer"]),
            ),
            models.Index(
                fields=["resolution_due"],
                name="ticket_open_resolution_due",
                condition=Q(status__in=["new", "assigned", "in_progress", "waiting_on_customer"]),
            ),
            models.Index(fields=["status", "tier"], name="ticket_status_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.REFERENCE_PREFIX}{self.number}"

    @property
    def owner_ids(self) -> set[int]:
        return {self.primary_owner_id, self.backup_owner_id, self.escalation_owner_id} - {None}

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def next_deadline(self) -> datetime:
        """The first-response deadline until someone acknowledges, then the resolution deadline."""
        if self.acknowledged_at is None and self.status in (self.Status.NEW, self.Status.ASSIGNED):
            return self.first_response_due
        return self.resolution_due

    def sla_state(self, now: datetime | None = None) -> str:
        """ok, at_risk (the tier's escalate-at share of the time is gone) or breached."""
        now = now or timezone.now()
        deadline = self.next_deadline
        if now >= deadline:
            return "breached"
        allowed = (deadline - self.created_at).total_seconds()
        elapsed = (now - self.created_at).total_seconds()
        return "at_risk" if allowed and elapsed / allowed * 100 >= self.tier.escalate_at_percent else "ok"

    def compute_deadlines(self) -> None:
        """SLA clocks always run from the original creation time (seed 002, pitfall 4)."""
        self.first_response_due = self.created_at + self.tier.first_response_sla
        self.resolution_due = self.created_at + self.tier.resolution_target

    def _move_to_tier(self, tier: Tier, owner) -> None:
        self.tier = tier
        self.primary_owner = owner
        self.backup_owner = None
        self.acknowledged_at = None
        self.compute_deadlines()

    @transition(
        field=status,
        source=Status.NEW,
        target=Status.ASSIGNED,
        custom={"label": "Assign"},
        permission=roles.can_work_ticket,
    )
    def assign(self, owner) -> None:
        self.primary_owner = owner

    @transition(
        field=status,
        source=Status.ASSIGNED,
        target=Status.IN_PROGRESS,
        custom={"label": "Acknowledge"},
        permission=roles.can_acknowledge,
    )
    def acknowledge(self, acknowledged_by) -> None:
        if self.primary_owner_id is None:
            self.primary_owner = acknowledged_by
        self.acknowledged_at = timezone.now()

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.WAITING_ON_CUSTOMER,
        custom={"label": "Wait on customer"},
        permission=roles.can_work_ticket,
    )
    def wait_on_customer(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.WAITING_ON_CUSTOMER,
        target=Status.IN_PROGRESS,
        custom={"label": "Resume"},
        permission=roles.can_work_ticket,
    )
    def resume(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER],
        target=Status.RESOLVED,
        custom={"label": "Resolve"},
        permission=roles.can_work_ticket,
    )
    def resolve(self) -> None:
        self.resolved_at = timezone.now()

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.CLOSED,
        custom={"label": "Close"},
        permission=roles.can_work_ticket,
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.IN_PROGRESS,
        custom={"label": "Reopen"},
        permission=roles.can_work_ticket,
    )
    def reopen(self) -> None:
        self.resolved_at = None

    @transition(
        field=status,
        source=list(WORKING_STATUSES),
        target=Status.ASSIGNED,
        custom={"label": "Escalate"},
        permission=roles.can_work_ticket,
    )
    def escalate(self, to_tier: Tier, owner=None) -> None:
        self._move_to_tier(to_tier, owner)

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.ASSIGNED,
        custom={"label": "De-escalate"},
        permission=roles.can_work_ticket,
    )
    def deescalate(self, to_tier: Tier, owner=None) -> None:
        self._move_to_tier(to_tier, owner)
