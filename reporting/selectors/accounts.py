"""Accounts that keep escalating, with what is at stake (ARR) and how healthy they are."""

from django.db.models import Count, F, Q

from reporting.filters import ReportFilter
from reporting.selectors.common import BREACHED, DOWN, current_tickets

ACCOUNT_LIST_LENGTH = 100


def repeat_escalations(report_filter: ReportFilter, *, at_least: int) -> list[dict]:
    """Accounts with `at_least` upward escalations in the period, the riskiest first.

    Risk = escalations × (101 − health score): more escalations and a sicker account rank higher; ties by ARR.
    """
    rows = (
        current_tickets(report_filter)
        .values("account", "account__name", "account__tier", "account__arr", "account__health_score")
        .annotate(
            tickets=Count("pk", distinct=True),
            escalation_count=Count("escalations", filter=~Q(escalations__kind=DOWN), distinct=True),
            escalated=Count("pk", filter=Q(escalations__isnull=False) & ~Q(escalations__kind=DOWN), distinct=True),
            breached=Count("pk", filter=BREACHED, distinct=True),
        )
        .filter(escalation_count__gte=at_least)
        .annotate(risk=F("escalation_count") * (101 - F("account__health_score")))
        .order_by("-risk", "-account__arr", "account__name")
    )
    return list(rows[:ACCOUNT_LIST_LENGTH])
