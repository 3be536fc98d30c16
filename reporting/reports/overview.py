"""The overview page: the headline KPIs beside the previous period's, and their trend by day or week."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, DURATION, PERCENTAGE, TEXT, Cell, Count, Duration, Percent, rate
from reporting.filters import CURRENT, PREVIOUS, ReportFilter
from reporting.reports.common import FIRST_RESPONSE_COMPLIANCE, RESOLUTION_COMPLIANCE
from reporting.selectors import overview
from reporting.tables import Column, Links, Table, TableSpec, read


@dataclass(frozen=True)
class Kpi:
    """A headline figure: a row of the headline table, compared with the previous period's."""

    label: str
    figure: Count | Percent | Duration
    value: str | Callable[[dict], Any]  # the key of the figure in the period's figures, or how to work it out
    metric: str = ""  # what its tickets drill down to; "": no list of tickets behind it

    @property
    def term(self) -> str:
        """The defined term: "Time to acknowledge" for its median and its p90 alike."""
        return self.label.split(" (")[0]


HEADLINE = (
    Kpi("Opened", COUNT, "opened", "opened"),
    Kpi("Resolved", COUNT, "resolved", "resolved"),
    Kpi("Escalation rate", PERCENTAGE, rate("escalated", "opened"), "escalated"),
    Kpi("First-response compliance", PERCENTAGE, FIRST_RESPONSE_COMPLIANCE, "fr_breached"),
    Kpi("Resolution compliance", PERCENTAGE, RESOLUTION_COMPLIANCE, "res_breached"),
    Kpi("Time to acknowledge (median)", DURATION, "ack_median"),
    Kpi("Time to acknowledge (p90)", DURATION, "ack_p90"),
    Kpi("Time to resolution (median)", DURATION, "resolution_median", "resolved"),
    Kpi("Time to resolution (p90)", DURATION, "resolution_p90", "resolved"),
    Kpi("Breaches", COUNT, "breached", "breached"),
    Kpi("Failovers", COUNT, "failovers", "failover"),
)


def _headline(figures: dict[str, dict], links: Links) -> Table:
    table = Table(
        "headline",
        "This period and the previous one",
        ["KPI", "This period", "Previous period", "Change"],
        "Each figure is defined below the table; the previous period is as long as this one and ends where it "
        "starts (a month is compared with the whole month before).",
        footnotes=[(term, DEFINITIONS[term]) for term in dict.fromkeys(kpi.term for kpi in HEADLINE)],
    )
    for kpi in HEADLINE:
        now, before = read(figures[CURRENT], kpi.value), read(figures[PREVIOUS], kpi.value)
        current = kpi.figure.cell(now, links(kpi.metric) if kpi.metric else "")
        previous = kpi.figure.cell(before, links(kpi.metric, which=PREVIOUS) if kpi.metric else "")
        table.add(Cell(kpi.label), current, previous, kpi.figure.change(now, before))
    return table


def _compliance(charted: bool) -> tuple[Column, Column]:
    return (
        Column("First-response compliance", PERCENTAGE, FIRST_RESPONSE_COMPLIANCE, charted=charted),
        Column("Resolution compliance", PERCENTAGE, RESOLUTION_COMPLIANCE, charted=charted),
    )


def _trend(bucket: str) -> tuple[TableSpec, TableSpec]:
    """The figures per day (or week), and their compliance again in a chart of its own."""
    buckets = Column(bucket.capitalize(), TEXT, lambda row: row["bucket"].isoformat())
    counts = [
        Column(name, COUNT, name.lower(), charted=True) for name in ("Opened", "Escalated", "Resolved", "Breached")
    ]
    trend = TableSpec(
        "trend",
        f"Trend by {bucket}",
        "Tickets opened (and of them escalated and breached) per bucket of their creation; resolved per bucket of "
        "their resolution; compliance of the tickets opened in the bucket.",
        (buckets, *counts, *_compliance(charted=False)),
        chart="line",
    )
    compliance = TableSpec(
        "compliance-trend",
        f"SLA compliance by {bucket}",
        DEFINITIONS["First-response compliance"],
        (buckets, *_compliance(charted=True)),
        chart="line",
    )
    return trend, compliance


def overview_tables(report_filter: ReportFilter, links: Links) -> list[Table]:
    trend, compliance = _trend(report_filter.bucket)
    rows = overview.trend(report_filter)
    headline = _headline(overview.overview_figures(report_filter), links)
    return [headline, trend.build(rows, links), compliance.build(rows, links)]
