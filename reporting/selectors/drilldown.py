"""The tickets behind a figure: the report's filter, a metric and the row's dimension, as one ticket queryset."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from escalations.models import BounceRefusal, OwnershipTransfer, SlaEvent, Ticket
from escalations.roles import CLOCK_USERNAME
from reporting.filters import ReportFilter
from reporting.selectors.common import (
    BREACHED,
    DOWN,
    FR_BREACHED,
    FR_MET,
    RES_BREACHED,
    RES_MET,
    UPWARD,
    HistoricalTicket,
    moved,
)
from reporting.selectors.escalations import handoff_count
from reporting.selectors.quality import breached_before_escalating, undone_soon
from reporting.selectors.sla import CALENDAR

PAGE_SIZE = 50


METRICS = {
    "opened": ("Opened", lambda: Q()),
    "escalated": ("Escalated", lambda: moved(UPWARD)),
    "deescalated": ("De-escalated", lambda: moved(kind=DOWN)),
    "fr_met": ("First response met", lambda: FR_MET),
    "fr_breached": ("First response breached", lambda: FR_BREACHED),
    "res_met": ("Resolution met", lambda: RES_MET),
    "res_breached": ("Resolution breached", lambda: RES_BREACHED),
    "breached": ("Breached", lambda: BREACHED),
    "failover": (
        "Failed over",
        lambda: Q(Exists(SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT))),
    ),
    "bounced": ("Bounce refused", lambda: Q(Exists(BounceRefusal.objects.filter(ticket=OuterRef("pk"))))),
    "over_escalated": ("Over-escalated", lambda: moved(UPWARD, undone_soon())),
    "under_escalated": ("Breached before the first escalation", breached_before_escalating),
    "resolved": ("Resolved", lambda: Q()),
}


def _dimensions(dims: dict) -> Q:
    """A table row's own dimension, beyond the report filter."""
    q = Q()
    if dims.get("account"):
        q &= Q(account_id=dims["account"])
    if dims.get("calendar"):
        q &= Q(calendar=dims["calendar"])
    if dims.get("handoffs") is not None:
        q &= Q(handoffs=dims["handoffs"])
    if dims.get("passed_tier"):
        tier = dims["passed_tier"]
        q &= Q(tier_id=tier) | moved(from_tier_id=tier) | moved(to_tier_id=tier)
    if dims.get("left_tier"):
        q &= moved(UPWARD, from_tier_id=dims["left_tier"])
    if dims.get("escalated_by"):
        q &= moved(UPWARD, by_id=dims["escalated_by"])
    if dims.get("kind"):
        q &= moved(kind=dims["kind"])
    if dims.get("acked_by"):
        acked = HistoricalTicket.objects.filter(id=OuterRef("pk"), acknowledged_at__isnull=False)
        q &= Q(Exists(acked.filter(primary_owner_id=dims["acked_by"])))
    if dims.get("failed_over"):
        transfers = OwnershipTransfer.objects.filter(
            ticket=OuterRef("pk"), by__username=CLOCK_USERNAME, from_owner_id=dims["failed_over"]
        )
        q &= Q(Exists(transfers))
    return q


def drilldown_tickets(
    report_filter: ReportFilter, *, metric: str, dims: dict, previous: bool = False
) -> QuerySet[Ticket]:
    """The tickets counted in a figure, newest first, with what a list row shows."""
    field = "resolved_at" if metric == "resolved" else "created_at"
    tickets = report_filter.tickets(field)
    period = Q(**{f"{field}__lt": report_filter.start}) if previous else report_filter.current_period(field)
    if dims.get("calendar"):
        tickets = tickets.annotate(calendar=CALENDAR)
    if dims.get("handoffs") is not None:
        tickets = tickets.annotate(handoffs=handoff_count())
    condition = METRICS.get(metric, METRICS["opened"])[1]()
    return (
        tickets.filter(period, condition, _dimensions(dims))
        .select_related("tier", "severity", "account", "primary_owner")
        .order_by("-created_at", "-pk")
    )


def drilldown_page(tickets: QuerySet[Ticket], page: int) -> tuple[list[Ticket], bool]:
    """One page and whether there is a next, without counting every ticket behind the figure."""
    start = (page - 1) * PAGE_SIZE
    rows = list(tickets[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
