"""Aggregations behind the report pages; they run in the database, never in a Python loop."""

from django.db.models import Count, Q

from escalations.models import Ticket, Tier

OPEN = Q(tickets__status__in=Ticket.OPEN_STATUSES)


def workload_by_tier():
    """Open, awaiting-acknowledgement and resolved ticket counts per active tier, in one query."""
    return Tier.objects.filter(is_active=True).annotate(
        open_count=Count("tickets", filter=OPEN),
        awaiting_ack_count=Count("tickets", filter=Q(tickets__status=Ticket.Status.ASSIGNED)),
        resolved_count=Count("tickets", filter=Q(tickets__status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])),
    )
