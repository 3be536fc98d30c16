from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, F, Max, Min, Q, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from escalations import roles
from escalations.domain.business_time import business_time_between
from escalations.domain.deadlines import TicketDeadlines, ticket_deadlines, working_time_for
from escalations.models.config import Account, Severity, Tier

OPEN_STATUS_VALUES = ["new", "assigned", "in_progress", "waiting_on_customer"]
OPEN_ONLY = Q(status__in=OPEN_STATUS_VALUES)


def open_statuses_literally() -> RawSQL:
    """`status IN ('new', …)` with the values written out, exactly as in the condition of the partial indexes.

    SQLite uses a partial index only when the query repeats its condition literally, and bound parameters never match:
    with `status__in` the queue would sort every open ticket instead of reading ticket_open_next_due in order.
    """
    values = ", ".join(f"'{status}'" for status in OPEN_STATUS_VALUES)
    return RawSQL(f'"escalations_ticket"."status" IN ({values})', (), output_field=BooleanField())


# The deadline a queue sorts by: first response until someone responded, then resolution.
NEXT_DUE = Case(When(first_responded_at__isnull=True, then=F("first_response_due")), default=F("resolution_due"))


class TicketHistory(HistoricalRecords):
    """The ticket's history, with the index reporting's time-to-acknowledge figures read (every column they need)."""

    def get_meta_options(self, model) -> dict:
        covered = ["created_at", "id", "assigned_at", "acknowledged_at", "tier", "primary_owner", "severity"]
        index = models.Index(
            fields=[*covered, "category", "account"],
            name="report_history_acknowledged",
            condition=Q(acknowledged_at__isnull=False, status="in_progress"),
        )
        options = super().get_meta_options(model)
        return {**options, "indexes": [*options.get("indexes", ()), index]}


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

    OPEN_STATUSES = tuple(map(Status, OPEN_STATUS_VALUES))
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
    assigned_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the current assignment started awaiting acknowledgement."
    )
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the current assignment was acknowledged."
    )
    first_responded_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="The first acknowledgement or public reply; never reset."
    )
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_due = models.DateTimeField(editable=False)
    resolution_due = models.DateTimeField(editable=False)
    acknowledgement_due = models.DateTimeField(null=True, blank=True, editable=False)
    escalation_due = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the tier's escalate-at share of the resolution time is gone.",
    )
    # When each clock turns "at risk": the tier's escalate-at share of its business time is gone. Stored with the
    # deadlines, so a queue row shows its state without reading its calendar. Empty on tickets not recomputed
    # since the columns came (see sla_state).
    first_response_risk_due = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_risk_due = models.DateTimeField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_for = models.DurationField(default=timedelta(0), editable=False)
    breached_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the resolution deadline was missed."
    )
    first_response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    flag_reason = models.CharField(max_length=300, blank=True, editable=False)
    status = FSMField(default=Status.NEW, choices=Status.choices, protected=True)
    history = TicketHistory(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["resolution_due"]
        permissions = [
            ("work_tickets", "Can work the tickets of their tier"),
            ("manage_tickets", "Can work every ticket and override escalation rules"),
        ]
        indexes = [
            models.Index(fields=["first_response_due"], name="ticket_open_first_response_due", condition=OPEN_ONLY),
            models.Index(fields=["resolution_due"], name="ticket_open_resolution_due", condition=OPEN_ONLY),
            models.Index(NEXT_DUE, F("number"), name="ticket_open_next_due", condition=OPEN_ONLY),
            models.Index(fields=["acknowledgement_due"], name="ticket_open_ack_due", condition=OPEN_ONLY),
            models.Index(fields=["escalation_due"], name="ticket_open_escalation_due", condition=OPEN_ONLY),
            models.Index(fields=["status", "tier"], name="ticket_status_tier"),
            # reporting's periods: tickets opened, and tickets resolved
            models.Index(fields=["created_at"], name="report_ticket_created"),
            models.Index(fields=["resolved_at"], name="report_ticket_resolved", condition=Q(resolved_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.REFERENCE_PREFIX}{self.number}"

    @property
    def version(self) -> str:
        """Changes whenever the ticket is saved; forms carry it to detect edits made meanwhile."""
        return str(int(self.updated_at.timestamp() * 1_000_000)) if self.updated_at else ""

    @property
    def owner_ids(self) -> set[int]:
        return {self.primary_owner_id, self.backup_owner_id, self.escalation_owner_id} - {None}

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def next_deadline(self) -> datetime:
        """The soonest deadline still owed: acknowledgement, first response (until given), resolution."""
        return self._next_clock()[0]

    def _next_clock(self) -> tuple[datetime, str]:
        owed = [(self.acknowledgement_due, "acknowledgement")] if self.acknowledgement_due else []
        owed += [] if self.first_responded_at else [(self.first_response_due, "first_response")]
        return min([*owed, (self.resolution_due, "resolution")], key=lambda clock: clock[0])

    def sla_state(self, now: datetime | None = None) -> str:
        """ok, at_risk (the tier's escalate-at share of the next deadline's time is gone) or breached.

        The share counts the way its deadline does: business time on the ticket's calendar for first response
        and resolution (stored with the deadlines, so a queue row reads no calendar), real time for an
        acknowledgement.
        """
        now = now or timezone.now()
        deadline, clock = self._next_clock()
        if now >= deadline:
            return "breached"
        return "at_risk" if now >= self._at_risk_from(clock) else "ok"

    def _at_risk_from(self, clock: str) -> datetime:
        if clock == "acknowledgement":
            allowed = self.acknowledgement_due - self.assigned_at
            return self.assigned_at + allowed * self.tier.escalate_at_percent / 100
        if self.first_response_risk_due is None or self.resolution_risk_due is None:
            self._store_risk(ticket_deadlines(self))  # last saved before the risk columns came: read the calendar
        return self.first_response_risk_due if clock == "first_response" else self.resolution_risk_due

    def _store_risk(self, deadlines: TicketDeadlines) -> None:
        self.first_response_risk_due = deadlines.first_response_risk_due
        self.resolution_risk_due = deadlines.escalation_due  # before the clamp compute_deadlines puts on the clock

    def compute_deadlines(self) -> None:
        """SLA clocks always run from the original creation time, in the calendar's hours: reopening never resets them.

        The clock never escalates a ticket sooner than the receiving tier's first-response window after it
        arrived: otherwise a ticket escalated late would cascade to the top tier at once.
        """
        deadlines = ticket_deadlines(self)
        self.first_response_due, self.resolution_due = deadlines.first_response_due, deadlines.resolution_due
        self._store_risk(deadlines)
        arrival = self.assigned_at or self.created_at
        self.escalation_due = max(deadlines.escalation_due, arrival + self.tier.first_response_sla)

    def _start_pause(self) -> None:
        if self.tier.pause_on_waiting:
            self.paused_at = timezone.now()

    def _end_pause(self) -> None:
        """Waiting on the customer is over: the working time it took no longer counts against the SLA."""
        if self.paused_at is not None:
            self.paused_for += business_time_between(self.paused_at, timezone.now(), working_time_for(self))
            self.paused_at = None
            self.compute_deadlines()

    @property
    def acknowledgement_timeout(self) -> timedelta:
        return self.severity.acknowledgement_timeout or self.tier.acknowledgement_timeout

    def _start_assignment(self, owner) -> None:
        """A new owner (or the team queue, for None) owes an acknowledgement within the timeout."""
        self.primary_owner = owner
        self.assigned_at, self.acknowledged_at = timezone.now(), None
        self.acknowledgement_due = self.assigned_at + self.acknowledgement_timeout

    def _move_to_tier(self, tier: Tier, owner) -> None:
        """Moving tier never brings the customer's resolution deadline forward.

        The new tier's target still counts from creation, but a ticket that took longer than that target
        to reach the tier keeps the later deadline it already had instead of being breached on arrival.
        """
        self._end_pause()
        promised = self.resolution_due
        self.tier = tier
        self.backup_owner = None
        self._start_assignment(owner)
        self.compute_deadlines()
        self.resolution_due = max(self.resolution_due, promised)

    @transition(
        field=status,
        source=Status.NEW,
        target=Status.ASSIGNED,
        custom={"label": "Assign"},
        permission=roles.can_work_ticket,
    )
    def assign(self, owner) -> None:
        self._start_assignment(owner)

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
        self.acknowledged_at, self.acknowledgement_due = timezone.now(), None
        self.first_responded_at = self.first_responded_at or self.acknowledged_at

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.WAITING_ON_CUSTOMER,
        custom={"label": "Wait on customer"},
        permission=roles.can_work_ticket,
    )
    def wait_on_customer(self) -> None:
        self._start_pause()

    @transition(
        field=status,
        source=Status.WAITING_ON_CUSTOMER,
        target=Status.IN_PROGRESS,
        custom={"label": "Resume"},
        permission=roles.can_work_ticket,
    )
    def resume(self) -> None:
        self._end_pause()

    @transition(
        field=status,
        source=list(WORKING_STATUSES),
        target=Status.ASSIGNED,
        custom={"label": "Transfer"},
        permission=roles.can_work_ticket,
    )
    def transfer(self, owner) -> None:
        """A new primary owner (None: the tier's team queue) has to acknowledge before the ticket counts as theirs.

        A backup or escalation owner who becomes primary no longer holds that other role.
        """
        if owner is not None and self.backup_owner_id == owner.pk:
            self.backup_owner = None
        if owner is not None and self.escalation_owner_id == owner.pk:
            self.escalation_owner = None
        self._end_pause()
        self._start_assignment(owner)

    @transition(
        field=status,
        source=[Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER],
        target=Status.RESOLVED,
        custom={"label": "Resolve"},
        permission=roles.can_work_ticket,
    )
    def resolve(self) -> None:
        self._end_pause()
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

    def _ladder_ends(self) -> tuple[int, int]:
        """The lowest and highest active tier levels; the ticket page's selector reads them with the ticket."""
        if getattr(self, "ladder_lowest", None) is None:
            ends = Tier.objects.filter(is_active=True).aggregate(lowest=Min("level"), highest=Max("level"))
            self.ladder_lowest, self.ladder_highest = ends["lowest"], ends["highest"]
        return self.ladder_lowest, self.ladder_highest

    def has_tier_above(self) -> bool:
        return self.tier.level < self._ladder_ends()[1]

    def has_tier_below(self) -> bool:
        return self.tier.level > self._ladder_ends()[0]

    @transition(
        field=status,
        source=list(WORKING_STATUSES),
        target=Status.ASSIGNED,
        conditions=[has_tier_above],
        custom={"label": "Escalate", "unavailable": "is at the top tier: there is no tier above it"},
        permission=roles.can_work_ticket,
    )
    def escalate(self, to_tier: Tier, owner=None) -> None:
        self._move_to_tier(to_tier, owner)

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.ASSIGNED,
        conditions=[has_tier_below],
        custom={"label": "De-escalate", "unavailable": "is at the lowest tier: there is no tier below it"},
        permission=roles.can_work_ticket,
    )
    def deescalate(self, to_tier: Tier, owner=None) -> None:
        self._move_to_tier(to_tier, owner)
