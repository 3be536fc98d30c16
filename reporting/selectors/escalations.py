"""How tickets move between tiers: rates by tier, category and agent, time to escalate, handoffs, kinds, bounces."""

from django.db.models import Count, F, IntegerField, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from escalations.models import BounceRefusal, Escalation, OwnershipTransfer, Tier
from reporting.filters import ReportFilter
from reporting.selectors.common import (
    DOWN,
    UPWARD,
    acknowledged_snapshots,
    current_tickets,
    deescalated,
    escalated_up,
)
from reporting.sql import Seconds, grouped_counts, percentile_rows


def rate_by_tier(report_filter: ReportFilter) -> list[dict]:
    """Per tier: tickets handled there (opened at it, or moved into it) and those escalated up out of it."""
    tickets = current_tickets(report_filter)
    moves = Escalation.objects.filter(ticket__in=tickets)
    visits = (
        tickets.order_by()
        .values_list("pk", "tier_id")
        .union(
            moves.order_by().values_list("ticket_id", "from_tier_id"),
            moves.order_by().values_list("ticket_id", "to_tier_id"),
        )
    )
    handled = dict(grouped_counts(visits, group_by=["tier_id"]))
    left = (
        moves.filter(UPWARD)
        .values("from_tier")
        .annotate(escalations=Count("pk"), escalated=Count("ticket", distinct=True))
    )
    out = {row["from_tier"]: row for row in left}
    return [
        {"tier": tier, "tier_id": tier.pk, "handled": handled.get(tier.pk, 0)}
        | out.get(tier.pk, {"escalations": 0, "escalated": 0})
        for tier in Tier.objects.filter(pk__in=set(handled) | set(out)).order_by("level")
    ]


def rate_by_category(report_filter: ReportFilter) -> list[dict]:
    return list(
        current_tickets(report_filter)
        .values("category")
        .annotate(opened=Count("pk"), escalated=Count("pk", filter=escalated_up()))
        .order_by("-escalated", "category")
    )


def rate_by_agent(report_filter: ReportFilter) -> list[dict]:
    """Per person: tickets they handled (acknowledged an assignment of) and the upward escalations they made."""
    handled = {
        row["primary_owner"]: row
        for row in acknowledged_snapshots(report_filter)
        .filter(report_filter.person_visible("primary_owner"))
        .values("primary_owner", "primary_owner__username")
        .annotate(tickets=Count("id", distinct=True))
    }
    made = (
        Escalation.objects.filter(
            UPWARD, report_filter.person_visible("by"), ticket__in=current_tickets(report_filter), by__isnull=False
        )
        .values("by", "by__username")
        .annotate(escalations=Count("pk"), tickets=Count("ticket", distinct=True))
    )
    rows = {
        pk: {
            "person": pk,
            "name": row["primary_owner__username"],
            "handled": row["tickets"],
            "escalations": 0,
            "escalated": 0,
        }
        for pk, row in handled.items()
    }
    for row in made:
        rows.setdefault(row["by"], {"person": row["by"], "name": row["by__username"], "handled": 0})
        rows[row["by"]] |= {"escalations": row["escalations"], "escalated": row["tickets"]}
    return sorted(rows.values(), key=lambda row: (-_share(row["escalated"], row["handled"]), row["name"]))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float(part > 0)


def time_to_escalate(report_filter: ReportFilter) -> list[dict]:
    """Creation → first upward escalation, per severity (count, median, p90 in seconds)."""
    firsts = (
        Escalation.objects.filter(UPWARD, ticket__in=current_tickets(report_filter))
        .values("ticket_id", "ticket__severity_id", "ticket__severity__code")
        .annotate(seconds=Seconds(Min("created_at"), F("ticket__created_at")))
    )
    groups = ["ticket__severity_id", "ticket__severity__code"]
    rows = percentile_rows(firsts, value="seconds", group_by=groups)
    return sorted(
        ({"severity_id": row[groups[0]], "severity_code": row[groups[1]]} | row for row in rows),
        key=lambda row: row["severity_code"],
    )


def _count_of(model, **condition) -> Coalesce:
    rows = model.objects.filter(ticket=OuterRef("pk"), **condition).order_by().values("ticket")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), Value(0), output_field=IntegerField())


def handoff_count():
    """A ticket's handoffs: tier moves (up or down) plus primary-ownership transfers (failovers included)."""
    return _count_of(Escalation) + _count_of(OwnershipTransfer, role=OwnershipTransfer.Role.PRIMARY)


def handoffs_distribution(report_filter: ReportFilter) -> list[dict]:
    """How many tickets had 0, 1, 2 … handoffs: every tier move and primary transfer counted per ticket at once."""
    tickets = current_tickets(report_filter)
    moves = Escalation.objects.filter(ticket__in=tickets).order_by().values_list("ticket_id")
    transfers = OwnershipTransfer.objects.filter(ticket__in=tickets, role=OwnershipTransfer.Role.PRIMARY)
    handoffs = moves.union(transfers.order_by().values_list("ticket_id"), all=True)
    per_ticket = "SELECT ticket_id, COUNT(*) AS handoffs FROM ({rows}) AS h GROUP BY ticket_id"
    counted = dict(grouped_counts(handoffs, group_by=["handoffs"], around=per_ticket))
    none = tickets.count() - sum(counted.values())
    return [{"handoffs": n, "tickets": counted.get(n, none)} for n in sorted({0, *counted}) if n or none]


def movement(report_filter: ReportFilter) -> dict:
    """Escalated tickets, de-escalated tickets and refused bounces of the period."""
    figures = current_tickets(report_filter).aggregate(
        opened=Count("pk"),
        escalated=Count("pk", filter=escalated_up()),
        deescalated=Count("pk", filter=deescalated()),
    )
    return figures


def bounces(report_filter: ReportFilter) -> list[dict]:
    """Ping-pong attempts refused, per tier pair."""
    return list(
        BounceRefusal.objects.filter(ticket__in=current_tickets(report_filter))
        .values("from_tier__level", "to_tier__level")
        .annotate(refused=Count("pk"), tickets=Count("ticket", distinct=True))
        .order_by("-refused")
    )


def kinds(report_filter: ReportFilter) -> list[dict]:
    """Escalations per kind, every kind listed (a kind added later shows up by itself), de-escalations last."""
    found = {
        row["kind"]: row
        for row in Escalation.objects.filter(ticket__in=current_tickets(report_filter))
        .values("kind")
        .annotate(escalations=Count("pk"), tickets=Count("ticket", distinct=True))
    }
    ordered = [kind for kind in Escalation.Kind.values if kind != DOWN] + [DOWN]
    return [
        {"kind": kind, "label": Escalation.Kind(kind).label} | found.get(kind, {"escalations": 0, "tickets": 0})
        for kind in ordered
    ]
