"""The overview: the headline figures of a period beside the previous period's, and their trend."""

from django.db.models import Count, F

from escalations.models import SlaEvent
from reporting.filters import CURRENT, PREVIOUS, ReportFilter
from reporting.selectors.common import BREACHED, acknowledgements, sla_counts
from reporting.sql import DayOrWeek, Seconds, percentile_rows


def _by_period(rows, key: str = "period") -> dict[str, dict]:
    found = {row[key]: row for row in rows}
    return {period: found.get(period, {}) for period in (CURRENT, PREVIOUS)}


def overview_figures(report_filter: ReportFilter) -> dict[str, dict]:
    """{"current": {...}, "previous": {...}} with every headline figure, in five queries."""
    tickets = (
        report_filter.tickets()
        .annotate(period=report_filter.period("created_at"))
        .values("period")
        .annotate(**sla_counts(), breached=Count("pk", filter=BREACHED))
    )
    resolved = report_filter.tickets("resolved_at").annotate(
        period=report_filter.period("resolved_at"), seconds=Seconds(F("resolved_at"), F("created_at"))
    )
    failovers = (
        SlaEvent.objects.filter(kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT, ticket__in=report_filter.tickets())
        .annotate(period=report_filter.period("ticket__created_at"))
        .values("period")
        .annotate(failovers=Count("pk"))
    )
    figures = _by_period(tickets)
    parts = [
        (
            {"resolved": "count", "resolution_median": "median", "resolution_p90": "p90"},
            percentile_rows(resolved.values("period", "seconds"), value="seconds", group_by=["period"]),
        ),
        (
            {"acknowledged": "count", "ack_median": "median", "ack_p90": "p90"},
            percentile_rows(acknowledgements(report_filter, both=True), value="seconds", group_by=["period"]),
        ),
        ({"failovers": "failovers"}, failovers),
    ]
    for names, rows in parts:
        for period, row in _by_period(rows).items():
            figures[period] |= {name: row.get(column) for name, column in names.items()}
    return figures


def trend(report_filter: ReportFilter) -> list[dict]:
    """Per day (or week, for long periods) of the current period: opened, escalated, SLA outcomes and resolved."""
    week = report_filter.bucket == "week"
    opened = (
        report_filter.tickets()
        .filter(report_filter.current_period("created_at"))
        .annotate(bucket=DayOrWeek("created_at", week=week))
        .values("bucket")
        .annotate(**sla_counts(), breached=Count("pk", filter=BREACHED))
    )
    resolved = (
        report_filter.tickets("resolved_at")
        .filter(report_filter.current_period("resolved_at"))
        .annotate(bucket=DayOrWeek("resolved_at", week=week))
        .values("bucket")
        .annotate(resolved=Count("pk"))
    )
    buckets: dict = {}
    for row in [*opened, *resolved]:
        buckets.setdefault(row.pop("bucket"), {}).update(row)
    return [{"bucket": day} | buckets[day] for day in sorted(buckets)]
