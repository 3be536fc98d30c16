"""Queries that feed the desk's pages; each page costs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Subquery

from escalations.domain.deadlines import ticket_deadlines
from escalations.models import Escalation, Ticket, Tier


def visible_tickets(user) -> QuerySet[Ticket]:
    """Everyone who works tickets may read any ticket: escalations cross teams by design."""
    if user.has_perm("escalations.view_ticket"):
        return Ticket.objects.all()
    return Ticket.objects.none()


def _active_level(order: str) -> Subquery:
    return Subquery(Tier.objects.filter(is_active=True).order_by(order).values("level")[:1])


def ticket_detail(*, user, number: int) -> Ticket | None:
    """The ticket with its people and the ladder's ends, which decide whether it can go up or down a tier."""
    return (
        visible_tickets(user)
        .annotate(ladder_lowest=_active_level("level"), ladder_highest=_active_level("-level"))
        .select_related(
            "account", "severity", "tier", "primary_owner", "backup_owner", "escalation_owner", "created_by"
        )
        .filter(number=number)
        .first()
    )


def escalation_detail(*, user, pk: int) -> Escalation | None:
    """An escalation with what its brief shows, if the user may read its ticket."""
    return (
        Escalation.objects.filter(pk=pk, ticket__in=visible_tickets(user))
        .select_related("ticket__account", "ticket__severity", "from_tier", "to_tier", "by", "new_owner", "note")
        .prefetch_related("criteria", "attachments")
        .first()
    )


@dataclass(frozen=True)
class SlaClock:
    label: str
    due: datetime | None
    rule: str
    met_at: datetime | None = None
    breached_at: datetime | None = None


def ticket_clocks(ticket: Ticket) -> list[SlaClock]:
    """Every deadline of the ticket at once, each with the SLA rule that produced it."""
    rules = ticket_deadlines(ticket)
    clocks = [
        SlaClock(
            "First response",
            ticket.first_response_due,
            rules.first_response_rule,
            ticket.first_responded_at,
            ticket.first_response_breached_at,
        ),
        SlaClock("Escalation point", ticket.escalation_due, rules.escalation_rule),
        SlaClock("Resolution", ticket.resolution_due, rules.resolution_rule, ticket.resolved_at, ticket.breached_at),
    ]
    if ticket.acknowledgement_due:
        clocks.insert(0, SlaClock("Acknowledgement", ticket.acknowledgement_due, rules.acknowledgement_rule))
    return clocks
