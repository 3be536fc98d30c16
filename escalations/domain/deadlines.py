"""A ticket's SLA deadlines in business time, each with the rule that produced it.

The pause rule: while a ticket waits on the customer, its resolution and escalation clocks stop, if the tier
says so (`Tier.pause_on_waiting`). `Ticket.paused_for` holds the working time of pauses already over and
`Ticket.paused_at` the start of the current one; both push the resolution and escalation deadlines later by
that much working time. The first-response clock never pauses: the customer is owed an answer first.
While a pause lasts, the deadlines computed "now" keep moving, so a stored one is only a snapshot: the
clock must not breach a ticket with `paused_at` set. Ending a pause (resume, or any transition out of
waiting) adds `business_time_between(paused_at, now, working)` to `paused_for` and clears `paused_at`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from escalations.domain.business_time import WorkingTime, add_business_time, business_time_between
from escalations.domain.durations import format_duration

if TYPE_CHECKING:
    from escalations.models import Ticket


AROUND_THE_CLOCK = WorkingTime.around_the_clock()


@dataclass(frozen=True)
class TicketDeadlines:
    first_response_due: datetime
    first_response_rule: str
    first_response_risk_due: datetime  # when the tier's escalate-at share of the first-response time is gone
    resolution_due: datetime
    resolution_rule: str
    escalation_due: datetime
    escalation_rule: str
    acknowledgement_due: datetime | None
    acknowledgement_rule: str  # empty when no acknowledgement is owed


def working_time_for(ticket: "Ticket") -> WorkingTime:
    """The severity's calendar, else the tier's, else around the clock. Reads the calendar and its holidays once."""
    calendar = ticket.severity.calendar or ticket.tier.calendar
    return calendar.working_time if calendar else AROUND_THE_CLOCK


def ticket_deadlines(
    ticket: "Ticket", now: datetime | None = None, *, working: WorkingTime | None = None
) -> TicketDeadlines:
    """Every deadline from the ticket's original creation time, so reopening never buys more time.

    Pass `working` (e.g. cached per calendar for a sweep) to skip the calendar queries.
    """
    if working is None:
        working = working_time_for(ticket)
    tier, created = ticket.tier, ticket.created_at
    clock = f"{ticket.severity.code} {working.label}" if ticket.severity.calendar_id else working.label
    paused = _paused(ticket, now or timezone.now(), working)
    pause_note = f", +{_rounded(paused)} waiting on customer" if paused >= timedelta(minutes=1) else ""
    escalate_after = tier.resolution_target * tier.escalate_at_percent / 100
    respond_risk_after = tier.first_response_sla * tier.escalate_at_percent / 100
    acknowledgement_due, acknowledgement_rule = _acknowledgement(ticket)
    return TicketDeadlines(
        first_response_due=add_business_time(created, tier.first_response_sla, working),
        first_response_rule=f"{tier.label} first response {format_duration(tier.first_response_sla)}, {clock}",
        first_response_risk_due=add_business_time(created, respond_risk_after, working),
        resolution_due=add_business_time(created, tier.resolution_target + paused, working),
        resolution_rule=f"{tier.label} resolution {format_duration(tier.resolution_target)}, {clock}{pause_note}",
        escalation_due=add_business_time(created, escalate_after + paused, working),
        escalation_rule=(
            f"{tier.label} escalates at {tier.escalate_at_percent}% of resolution "
            f"{format_duration(tier.resolution_target)}, {clock}{pause_note}"
        ),
        acknowledgement_due=acknowledgement_due,
        acknowledgement_rule=acknowledgement_rule,
    )


def _paused(ticket: "Ticket", now: datetime, working: WorkingTime) -> timedelta:
    """Working time spent waiting on the customer: past pauses plus the current one up to `now`."""
    if not ticket.tier.pause_on_waiting:
        return timedelta(0)
    current = business_time_between(ticket.paused_at, now, working) if ticket.paused_at else timedelta(0)
    return ticket.paused_for + current


def _acknowledgement(ticket: "Ticket") -> tuple[datetime | None, str]:
    """An assigned ticket owes an acknowledgement within the timeout in real time: an owner is on duty now."""
    if ticket.status != ticket.Status.ASSIGNED or ticket.assigned_at is None:
        return None, ""
    severity, tier = ticket.severity, ticket.tier
    if severity.acknowledgement_timeout:
        source, timeout = severity.code, severity.acknowledgement_timeout
    else:
        source, timeout = tier.label, tier.acknowledgement_timeout
    return ticket.assigned_at + timeout, f"{source} acknowledgement {format_duration(timeout)}, real time"


def _rounded(duration: timedelta) -> str:
    return format_duration(duration - duration % timedelta(minutes=1))
