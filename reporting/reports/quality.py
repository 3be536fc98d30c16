"""The escalation quality page: over- and under-escalation per tier left and per agent, so a manager can coach."""

from collections.abc import Callable
from dataclasses import dataclass

from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, PERCENTAGE, TEXT, rate
from reporting.filters import ReportFilter
from reporting.reports.common import tickets_behind, tier_level
from reporting.selectors import quality
from reporting.tables import Column, Links, Table, TableSpec

# Who a failure is counted against: the row's label and the dimension its tickets drill down to.
GROUPS = {
    "tier": (Column("Tier left", TEXT, tier_level("from_tier__level")), {"left_tier": "from_tier"}),
    "agent": (Column("Agent", TEXT, "by__username"), {"escalated_by": "by"}),
}


@dataclass(frozen=True)
class FailureMode:
    """What the mode judges, which of it failed, and the tickets behind the failures (metric `<key>_escalated`)."""

    key: str
    name: str  # the defined term, in the titles
    rows: Callable[[ReportFilter, str], list[dict]]  # its selector, per tier or agent
    judged: tuple[str, str]  # the header, and the row's key of the count
    failed: tuple[str, str]

    def table(self, group: str) -> TableSpec:
        label, dimensions = GROUPS[group]
        (judged_label, judged), (failed_label, failed) = self.judged, self.failed
        drill = tickets_behind(f"{self.key}_escalated", **dimensions)
        share = rate(failed, judged)
        return TableSpec(
            f"{self.key}-{group}",
            f"{self.name} by {group}",
            DEFINITIONS[self.name],
            (
                label,
                Column(judged_label, COUNT, judged),
                Column(failed_label, COUNT, failed, drill),
                Column(f"{self.name} rate", PERCENTAGE, share, charted=group == "tier"),
            ),
            chart="bar" if group == "tier" else "",
        )


OVER = FailureMode(
    "over", "Over-escalation", quality.over_escalation, ("Escalations", "escalations"), ("Undone soon", "over")
)
UNDER = FailureMode(
    "under",
    "Under-escalation",
    quality.under_escalation,
    ("Escalated tickets", "escalated"),
    ("Breached before escalating", "late"),
)


def quality_tables(report_filter: ReportFilter, links: Links) -> list[Table]:
    return [
        mode.table(group).build(mode.rows(report_filter, group), links) for mode in (OVER, UNDER) for group in GROUPS
    ]
