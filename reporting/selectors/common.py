"""What several reports share: the SLA outcomes of a ticket, escalations upwards, acknowledgements."""

from django.db.models import BooleanField, Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from escalations.models import Escalation, Ticket
from reporting.filters import ReportFilter
from reporting.sql import Seconds

DOWN = Escalation.Kind.DEESCALATION
HistoricalTicket = Ticket.history.model
# Every kind but de-escalation moves a ticket up; a kind added later ("template") counts by itself.
UPWARD = Q(~Q(kind=DOWN))

# SLA outcomes, on the deadlines computed from the original creation time: a reopened ticket keeps its first clock.
FR_MET = Q(first_responded_at__isnull=False, first_responded_at__lte=F("first_response_due")) & Q(
    first_response_breached_at__isnull=True
)
FR_BREACHED = Q(first_response_breached_at__isnull=False) | Q(first_responded_at__gt=F("first_response_due"))
RES_MET = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"), breached_at__isnull=True)
RES_BREACHED = Q(breached_at__isnull=False) | Q(resolved_at__gt=F("resolution_due"))
BREACHED = FR_BREACHED | RES_BREACHED


def current_tickets(report_filter: ReportFilter) -> QuerySet:
    """The tickets of the slice opened in the current period."""
    return Ticket.objects.filter(report_filter.current_period("created_at"), report_filter.slice())


def moved(*conditions: Q, **fields) -> Q:
    """Tickets with an escalation matching the conditions.

    An uncorrelated IN: both databases read the escalations once into a hash, where a correlated EXISTS inside
    an aggregate's FILTER would run once per ticket.
    """
    return Q(pk__in=Escalation.objects.filter(*conditions, **fields).values("ticket_id"))


def escalated_up() -> Q:
    return moved(UPWARD)


def deescalated() -> Q:
    return moved(kind=DOWN)


def sla_counts() -> dict:
    """Opened, escalated and the four SLA outcomes, as aggregates over tickets."""
    return {
        "opened": Count("pk"),
        "escalated": Count("pk", filter=escalated_up()),
        "fr_met": Count("pk", filter=FR_MET),
        "fr_breached": Count("pk", filter=FR_BREACHED),
        "res_met": Count("pk", filter=RES_MET),
        "res_breached": Count("pk", filter=RES_BREACHED),
    }


# Written out, as in the condition of the partial index report_history_acknowledged: SQLite uses a partial index
# only when the query repeats its condition literally, and a bound parameter never does.
BEING_WORKED = RawSQL(f"{HistoricalTicket._meta.db_table}.status = 'in_progress'", (), output_field=BooleanField())


def acknowledged_snapshots(report_filter: ReportFilter, *, both: bool = False) -> QuerySet:
    """History rows of tickets opened in the period(s) taken while an acknowledged assignment was being worked.

    Every acknowledgement writes such a row (it moves the ticket to in progress); rows while waiting on the
    customer or resolved only repeat it, so leaving them out changes no figure and halves the rows to read.
    """
    return HistoricalTicket.objects.filter(
        BEING_WORKED,
        report_filter.both_periods("created_at") if both else report_filter.current_period("created_at"),
        report_filter.slice(moment=True),
        acknowledged_at__isnull=False,
        assigned_at__isnull=False,
    )


def acknowledgements(report_filter: ReportFilter, *, both: bool = False) -> QuerySet:
    """One row per acknowledged assignment of a ticket opened in the period(s), from the ticket's history.

    The ticket row only keeps its current assignment; every earlier one (before a transfer, an escalation or a
    failover) survives in the history, where every row of one assignment repeats its `assigned_at`, its
    `acknowledged_at`, its tier and its owner: DISTINCT leaves one row per assignment.
    Columns: id (the ticket), assigned_at, period, tier_id and owner (at the acknowledgement), seconds
    (assigned → acknowledged). No joins: de-duplicating 10⁵ history rows is the cost; names are looked up after.
    """
    return (
        acknowledged_snapshots(report_filter, both=both)
        .annotate(
            period=report_filter.period("created_at"),
            owner=F("primary_owner_id"),
            seconds=Seconds(F("acknowledged_at"), F("assigned_at")),
        )
        .values("id", "assigned_at", "period", "tier_id", "owner", "seconds")
        .distinct()
    )
