"""Queries that feed the desk's pages; each page costs a fixed number of queries."""

from django.db.models import QuerySet

from escalations.models import Escalation, Ticket


def visible_tickets(user) -> QuerySet[Ticket]:
    """Everyone who works tickets may read any ticket: escalations cross teams by design."""
    if user.has_perm("escalations.view_ticket"):
        return Ticket.objects.all()
    return Ticket.objects.none()


def ticket_detail(*, user, number: int) -> Ticket | None:
    return (
        visible_tickets(user)
        .select_related(
            "account", "severity", "tier__team", "primary_owner", "backup_owner", "escalation_owner", "created_by"
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
