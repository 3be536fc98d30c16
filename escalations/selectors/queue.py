"""The queues agents work from: open tickets, the nearest deadline first."""

from django.db.models import Q, QuerySet

from escalations import roles
from escalations.models import Ticket

QUEUE_SCOPES = {"mine": "My tickets", "team": "My team's tiers", "all": "All open"}


def queue_scopes_for(user) -> dict[str, str]:
    return QUEUE_SCOPES if roles.is_manager(user) else {k: v for k, v in QUEUE_SCOPES.items() if k != "all"}


def ticket_queue(*, user, scope: str) -> QuerySet[Ticket]:
    """Open tickets in one of the queue scopes, the nearest resolution deadline first."""
    tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).select_related(
        "account", "severity", "tier", "primary_owner"
    )
    if scope == "mine":
        tickets = tickets.filter(Q(primary_owner=user) | Q(backup_owner=user) | Q(escalation_owner=user))
    elif scope == "team" or not roles.is_manager(user):
        tickets = tickets.filter(tier__team__in=roles.team_ids(user))
    return tickets.order_by("resolution_due", "number")
