"""SLA compliance by dimension, the breaches with how late, acknowledgement times and who misses them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import BigIntegerField, Case, Count, F, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Now

from escalations.models import OwnershipTransfer, Tier
from escalations.roles import CLOCK_USERNAME
from reporting.filters import ReportFilter
from reporting.selectors.common import (
    BREACHED,
    FR_BREACHED,
    RES_BREACHED,
    acknowledgements,
    current_tickets,
    sla_counts,
)
from reporting.sql import Seconds, percentiles_by

AROUND_THE_CLOCK = "Around the clock"
# The calendar a ticket's SLAs count in: its severity's, else its tier's, else none (every minute counts).
CALENDAR = Coalesce("severity__calendar__name", "tier__calendar__name", Value(AROUND_THE_CLOCK))
BREACH_LIST_LENGTH = 100
COMPLIANCE_DIMENSIONS = {
    "tier": ("tier__level", "tier", "tier__name"),
    "severity": ("severity__code", "severity"),
    "account_tier": ("account__tier",),
    "calendar": ("calendar",),
}


def compliance_by(report_filter: ReportFilter, dimension: str) -> list[dict]:
    """First-response and resolution outcomes per tier, severity, account tier or calendar."""
    columns = COMPLIANCE_DIMENSIONS[dimension]
    tickets = current_tickets(report_filter).annotate(calendar=CALENDAR)
    return list(tickets.values(*columns).annotate(**sla_counts()).order_by(*columns))


def _late(done: str, due: str, breached: Q) -> Case:
    """Seconds past the deadline when it was met late, or so far when it is still owed."""
    return Case(When(breached, then=Seconds(Coalesce(done, Now()), F(due))))


def breach_list(report_filter: ReportFilter):
    """The breached tickets, latest-running first: how late the first response and the resolution were (or are)."""
    return (
        current_tickets(report_filter)
        .filter(BREACHED)
        .select_related("tier", "severity", "account", "primary_owner")
        .annotate(
            first_response_late=_late("first_responded_at", "first_response_due", FR_BREACHED),
            resolution_late=_late("resolved_at", "resolution_due", RES_BREACHED),
        )
        .order_by(F("resolution_late").desc(nulls_last=True), F("first_response_late").desc(nulls_last=True), "pk")[
            :BREACH_LIST_LENGTH
        ]
    )


def _team_of_tier() -> Case:
    """The team of a history row's tier, without joining: there are a handful of tiers and 10⁵ rows."""
    teams = Tier.objects.values_list("pk", "team_id")
    whens = [When(tier_id=tier, then=Value(team)) for tier, team in teams]
    # The NULL is cast: with no tier yet (a fresh install) nothing else tells PostgreSQL the column's type.
    return Case(*whens, default=Cast(Value(None), BigIntegerField()), output_field=BigIntegerField())


ACK_GROUPS = {"tier": "tier_id", "team": "team", "owner": "owner"}


def acknowledgement_times(report_filter: ReportFilter) -> dict[str, list[dict]]:
    """Assigned → acknowledged per tier, per team and per owner (count, median, p90 in seconds), in one query.

    Each row: key, label, count, median, p90. Owners outside the viewer's scope are left out.
    """
    rows = acknowledgements(report_filter).annotate(team=_team_of_tier())
    figures = percentiles_by(rows, value="seconds", columns=list(ACK_GROUPS.values()))
    ids = {by: {row["key"] for row in figures[column]} - {None} for by, column in ACK_GROUPS.items()}
    names = {
        "tier": {tier.pk: str(tier) for tier in Tier.objects.filter(pk__in=ids["tier"])},
        "team": dict(Group.objects.filter(pk__in=ids["team"]).values_list("pk", "name")),
        "owner": dict(get_user_model().objects.filter(pk__in=ids["owner"]).values_list("pk", "username")),
    }
    return {
        by: sorted(
            (
                row | {"label": names[by].get(row["key"], "Team queue")}
                for row in figures[column]
                if by != "owner" or report_filter.people is None or row["key"] in report_filter.people
            ),
            key=lambda row: row["label"],
        )
        for by, column in ACK_GROUPS.items()
    }


def failovers_by_owner(report_filter: ReportFilter) -> dict[int, dict]:
    """The clock's automatic failovers, per owner who did not acknowledge in time."""
    rows = (
        OwnershipTransfer.objects.filter(
            report_filter.person_visible("from_owner"),
            ticket__in=current_tickets(report_filter),
            role=OwnershipTransfer.Role.PRIMARY,
            by__username=CLOCK_USERNAME,
            from_owner__isnull=False,
        )
        .values("from_owner", "from_owner__username")
        .annotate(failovers=Count("pk"), tickets=Count("ticket", distinct=True))
    )
    return {row["from_owner"]: row for row in rows}
