"""The escalations page: how tickets move between tiers, by tier, category and agent, and how often and how."""

from escalations.models import Ticket
from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, DURATION, PERCENTAGE, TEXT, rate
from reporting.filters import ReportFilter
from reporting.reports.common import tickets_behind, tier_level
from reporting.selectors import escalations
from reporting.tables import Column, Links, Table, TableSpec


def _rate_by(key: str, label: Column, handled: dict, escalated: dict, *, charted: bool) -> TableSpec:
    """Per tier or agent: the tickets handled, those escalated up (and the escalations), and their rate."""
    title = f"Escalation rate by {label.label.lower()}"
    return TableSpec(
        key,
        title,
        DEFINITIONS[title],
        (
            label,
            Column("Handled", COUNT, "handled", tickets_behind("opened", **handled)),
            Column("Escalated up", COUNT, "escalated", tickets_behind("escalated", **escalated)),
            Column("Escalations", COUNT, "escalations"),
            Column("Escalation rate", PERCENTAGE, rate("escalated", "handled"), charted=charted),
        ),
        chart="bar" if charted else "",
    )


BY_TIER = _rate_by(
    "by-tier", Column("Tier", TEXT, "tier"), {"passed_tier": "tier_id"}, {"left_tier": "tier_id"}, charted=True
)
BY_AGENT = _rate_by(
    "by-agent", Column("Agent", TEXT, "name"), {"acked_by": "person"}, {"escalated_by": "person"}, charted=False
)
BY_CATEGORY = TableSpec(
    "by-category",
    "Escalation rate by category",
    DEFINITIONS["Escalation rate by category"],
    (
        Column("Category", TEXT, lambda row: Ticket.Category(row["category"]).label),
        Column("Opened", COUNT, "opened", tickets_behind("opened", category="category")),
        Column("Escalated", COUNT, "escalated", tickets_behind("escalated", category="category")),
        Column("Escalation rate", PERCENTAGE, rate("escalated", "opened"), charted=True),
    ),
    chart="bar",
)
TIME_TO_ESCALATE = TableSpec(
    "time-to-escalate",
    "Time to escalate",
    DEFINITIONS["Time to escalate"],
    (
        Column("Severity", TEXT, "severity_code"),
        Column("Escalated tickets", COUNT, "count", tickets_behind("escalated", severity="severity_id")),
        Column("Median", DURATION, "median", charted=True),
        Column("p90", DURATION, "p90", charted=True),
    ),
    chart="bar",
)
HANDOFFS = TableSpec(
    "handoffs",
    "Handoffs per ticket",
    DEFINITIONS["Handoffs per ticket"],
    (
        Column("Handoffs", TEXT, "handoffs"),
        Column("Tickets", COUNT, "tickets", tickets_behind("opened", handoffs="handoffs"), charted=True),
        Column("Share", PERCENTAGE, rate("tickets", "all")),
    ),
    chart="bar",
)
MOVEMENT = TableSpec(
    "movement",
    "De-escalation",
    DEFINITIONS["De-escalation rate"],
    (
        Column("Opened", COUNT, "opened", tickets_behind("opened")),
        Column("Escalated", COUNT, "escalated", tickets_behind("escalated")),
        Column("De-escalated", COUNT, "deescalated", tickets_behind("deescalated")),
        Column("De-escalation rate", PERCENTAGE, rate("deescalated", "escalated")),
    ),
)
KINDS = TableSpec(
    "kinds",
    "Escalation kinds",
    DEFINITIONS["Escalation kinds"],
    (
        Column("Kind", TEXT, "label"),
        Column("Moves", COUNT, "escalations", tickets_behind("opened", kind="kind"), charted=True),
        Column("Tickets", COUNT, "tickets", tickets_behind("opened", kind="kind")),
    ),
    chart="bar",
)
BOUNCES = TableSpec(
    "bounces",
    "Bounces refused",
    DEFINITIONS["Bounces"],
    (
        Column("From", TEXT, tier_level("from_tier__level")),
        Column("Back to", TEXT, tier_level("to_tier__level")),
        Column("Refused", COUNT, "refused"),
        Column("Tickets", COUNT, "tickets", tickets_behind("bounced")),
    ),
)


def _handoffs(report_filter: ReportFilter) -> list[dict]:
    """Each bucket of the distribution with the number of all tickets, its share's whole."""
    distribution = escalations.handoffs_distribution(report_filter)
    total = sum(row["tickets"] for row in distribution)
    return [row | {"all": total} for row in distribution]


def escalation_tables(report_filter: ReportFilter, links: Links) -> list[Table]:
    return [
        BY_TIER.build(escalations.rate_by_tier(report_filter), links),
        BY_CATEGORY.build(escalations.rate_by_category(report_filter), links),
        BY_AGENT.build(escalations.rate_by_agent(report_filter), links),
        TIME_TO_ESCALATE.build(escalations.time_to_escalate(report_filter), links),
        HANDOFFS.build(_handoffs(report_filter), links),
        MOVEMENT.build([escalations.movement(report_filter)], links),
        KINDS.build(escalations.kinds(report_filter), links),
        BOUNCES.build(escalations.bounces(report_filter), links),
    ]
