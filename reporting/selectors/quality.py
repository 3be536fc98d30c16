"""The two ways an escalation goes wrong, per tier and per agent so a manager can coach.

Over-escalation: an upward escalation undone soon without new work: the receiving tier de-escalated it, or
resolved it itself, within OVER_ESCALATION_WINDOW of its arrival, and nobody but the escalating agent added a
note to the ticket in that window. Under-escalation: a ticket that breached an SLA before its first
upward escalation.
"""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Least

from escalations.models import Escalation, TicketNote
from reporting.filters import ReportFilter
from reporting.selectors.common import DOWN, UPWARD, current_tickets

OVER_ESCALATION_WINDOW = timedelta(hours=2)


def undone_soon() -> Q:
    """On escalation rows: the receiving tier de-escalated it or resolved the ticket within the window, no work done."""
    soon = F("created_at") + OVER_ESCALATION_WINDOW
    deescalated = Escalation.objects.filter(
        ticket=OuterRef("ticket"),
        kind=DOWN,
        from_tier=OuterRef("to_tier"),
        created_at__gte=OuterRef("created_at"),
        created_at__lte=OuterRef("created_at") + OVER_ESCALATION_WINDOW,
    )
    resolved_there = Q(
        ticket__tier=F("to_tier"), ticket__resolved_at__gte=F("created_at"), ticket__resolved_at__lte=soon
    )
    new_work = TicketNote.objects.filter(
        ticket=OuterRef("ticket"),
        created_at__gte=OuterRef("created_at"),
        created_at__lte=OuterRef("created_at") + OVER_ESCALATION_WINDOW,
    ).exclude(author=OuterRef("by"))
    return (Q(Exists(deescalated)) | resolved_there) & ~Q(Exists(new_work))


OVER_GROUPS = {"tier": ("from_tier__level", "from_tier"), "agent": ("by", "by__username")}


def over_escalation(report_filter: ReportFilter, by: str) -> list[dict]:
    escalations = Escalation.objects.filter(UPWARD, ticket__in=current_tickets(report_filter))
    if by == "agent":
        escalations = escalations.filter(report_filter.person_visible("by"), by__isnull=False)
    columns = OVER_GROUPS[by]
    return list(
        escalations.values(*columns)
        .annotate(escalations=Count("pk"), over=Count("pk", filter=undone_soon()))
        .order_by("-over", *columns)
    )


UNDER_GROUPS = {"tier": ("from_tier__level", "from_tier"), "agent": ("by", "by__username")}
# When the ticket first breached an SLA (first response or resolution), if it did.
FIRST_BREACH = Least(
    Coalesce("ticket__first_response_breached_at", "ticket__breached_at"),
    Coalesce("ticket__breached_at", "ticket__first_response_breached_at"),
)
BREACHED_FIRST = Q(first_breach__lt=F("created_at"))


def first_escalations():
    """Each ticket's first upward escalation: no upward escalation of the same ticket came before it (an anti-join)."""
    before = Escalation.objects.filter(UPWARD, ticket=OuterRef("ticket")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    return Escalation.objects.filter(UPWARD).exclude(Exists(before)).annotate(first_breach=FIRST_BREACH)


def breached_before_escalating() -> Q:
    """Tickets that breached an SLA before their first upward escalation."""
    return Q(pk__in=first_escalations().filter(BREACHED_FIRST).values("ticket_id"))


def under_escalation(report_filter: ReportFilter, by: str) -> list[dict]:
    """Per tier left (or person who escalated) at the first escalation: escalated tickets and those breached first."""
    firsts = first_escalations().filter(ticket__in=current_tickets(report_filter))
    if by == "agent":
        firsts = firsts.filter(report_filter.person_visible("by"), by__isnull=False)
    columns = UNDER_GROUPS[by]
    return list(
        firsts.values(*columns)
        .annotate(escalated=Count("pk"), late=Count("pk", filter=BREACHED_FIRST))
        .order_by("-late", *columns)
    )
