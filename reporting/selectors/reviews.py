"""Top-tier escalations awaiting their post-escalation review, and the month's escalation reasons grouped."""

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from escalations.models import Escalation, Tier
from reporting.filters import ReportFilter
from reporting.models import EscalationReview
from reporting.selectors.common import UPWARD, current_tickets

REVIEW_QUEUE_LENGTH = 50


def top_tier() -> Tier | None:
    return Tier.objects.filter(is_active=True).order_by("-level").first()


def awaiting_review(report_filter: ReportFilter, top: Tier | None) -> tuple[int, list[Escalation]]:
    """How many escalations to the top tier have no review yet, and the oldest of them to review first."""
    if top is None:
        return 0, []
    waiting = Escalation.objects.filter(
        UPWARD, to_tier=top, review__isnull=True, ticket__in=current_tickets(report_filter)
    )
    rows = waiting.select_related("ticket__account", "ticket__severity", "from_tier", "by").prefetch_related("criteria")
    return waiting.count(), list(rows.order_by("created_at", "pk")[:REVIEW_QUEUE_LENGTH])


def reasons_by_month(report_filter: ReportFilter) -> list[dict]:
    """Upward escalations per month and reason: the criterion ticked, else the kind (override, SLA, severity…)."""
    return list(
        Escalation.objects.filter(UPWARD, ticket__in=current_tickets(report_filter))
        .annotate(month=TruncMonth("created_at"))
        .values("month", "kind", "criteria__text", "from_tier__level")
        .annotate(escalations=Count("pk", distinct=True))
        .order_by("-month", "-escalations", "from_tier__level", "criteria__text")
    )


def review_causes_by_month(report_filter: ReportFilter) -> list[dict]:
    return list(
        EscalationReview.objects.filter(escalation__ticket__in=current_tickets(report_filter))
        .annotate(month=TruncMonth("escalation__created_at"))
        .values("month", "cause")
        .annotate(reviews=Count("pk"), avoidable=Count("pk", filter=Q(lower_tier_could_solve=True)))
        .order_by("-month", "-reviews", "cause")
    )
