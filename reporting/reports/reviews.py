"""The review queues page's tables: why tickets were escalated, and what the post-escalation reviews found."""

from escalations.models import Escalation
from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, TEXT
from reporting.filters import ReportFilter
from reporting.models import EscalationReview
from reporting.reports.common import tickets_behind, tier_level
from reporting.selectors import reviews
from reporting.tables import Column, Links, Table, TableSpec


def _month(row: dict) -> str:
    return row["month"].strftime("%Y-%m")


def _reason(row: dict) -> str:
    """The criterion ticked or, for an escalation without one, its kind."""
    return row["criteria__text"] or f"({Escalation.Kind(row['kind']).label})"


REASONS = TableSpec(
    "reasons",
    "Escalation reasons by month",
    DEFINITIONS["Escalation reasons"],
    (
        Column("Month", TEXT, _month),
        Column("Tier left", TEXT, tier_level("from_tier__level")),
        Column("Reason", TEXT, _reason),
        Column("Escalations", COUNT, "escalations", tickets_behind("escalated", kind="kind")),
    ),
)
CAUSES = TableSpec(
    "causes",
    "Review causes by month",
    DEFINITIONS["Review causes"],
    (
        Column("Month", TEXT, _month),
        Column("Cause", TEXT, lambda row: EscalationReview.Cause(row["cause"]).label),
        Column("Reviews", COUNT, "reviews"),
        Column("A lower tier could have solved it", COUNT, "avoidable"),
    ),
)


def review_tables(report_filter: ReportFilter, links: Links) -> list[Table]:
    return [
        REASONS.build(reviews.reasons_by_month(report_filter), links),
        CAUSES.build(reviews.review_causes_by_month(report_filter), links),
    ]
