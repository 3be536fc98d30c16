"""Each report page as tables: the selectors' figures with their definitions and links to the tickets behind them.

A page is a list of Table objects; the same objects are drawn as HTML, downloaded as CSV and fed to the charts.
"""

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from escalations.models import Account, Escalation, Ticket
from reporting.definitions import DEFINITIONS
from reporting.filters import CURRENT, PREVIOUS, ReportFilter
from reporting.models import EscalationReview
from reporting.selectors import accounts, escalations, overview, quality, reviews, sla
from reporting.tables import (
    MINUTES,
    NOTHING,
    PERCENT,
    Cell,
    Chart,
    Table,
    count,
    duration,
    human_duration,
    in_minutes,
    money,
    percent,
)

FILTER_FIELDS = ("period", "start", "end", "tier", "team", "severity", "account_tier", "category", "agent")


class Links:
    """Links to the tickets behind a figure: the report's own filters, a metric and the row's dimension."""

    def __init__(self, query: QueryDict):
        self.base = {name: query[name] for name in FILTER_FIELDS if query.get(name)}

    def __call__(self, metric: str, **dims) -> str:
        params = (
            self.base | {"metric": metric} | {name: value for name, value in dims.items() if value not in (None, "")}
        )
        return f"{reverse('reporting:tickets')}?{urlencode(params)}"


def _rate_cells(link: Callable, part: int, whole: int, **dims) -> list[Cell]:
    return [count(whole, link("opened", **dims)), count(part, link("escalated", **dims)), percent(part, whole)]


def _compliance_cells(row: dict, link: Callable, **dims) -> list[Cell]:
    return [
        count(row["opened"], link("opened", **dims)),
        count(row["fr_met"], link("fr_met", **dims)),
        count(row["fr_breached"], link("fr_breached", **dims)),
        percent(row["fr_met"], row["fr_met"] + row["fr_breached"]),
        count(row["res_met"], link("res_met", **dims)),
        count(row["res_breached"], link("res_breached", **dims)),
        percent(row["res_met"], row["res_met"] + row["res_breached"]),
    ]


COMPLIANCE_COLUMNS = [
    "Opened",
    "First response met",
    "First response breached",
    "First-response compliance",
    "Resolution met",
    "Resolution breached",
    "Resolution compliance",
]


# --- overview ----------------------------------------------------------------------------------------------------


def _share(row: dict, part: str, *whole: str) -> float | None:
    total = sum(row.get(name) or 0 for name in whole)
    return round(100 * (row.get(part) or 0) / total, 1) if total else None


def _headline() -> list[tuple[str, Callable[[dict], Cell], str, Callable[[dict], float | None]]]:
    """Each headline KPI: its label, its cell, the metric its tickets drill down to, its number to compare."""
    return [
        ("Opened", lambda r: count(r.get("opened")), "opened", lambda r: r.get("opened") or 0),
        ("Resolved", lambda r: count(r.get("resolved")), "resolved", lambda r: r.get("resolved") or 0),
        (
            "Escalation rate",
            lambda r: percent(r.get("escalated"), r.get("opened")),
            "escalated",
            lambda r: _share(r, "escalated", "opened"),
        ),
        (
            "First-response compliance",
            lambda r: percent(r.get("fr_met"), (r.get("fr_met") or 0) + (r.get("fr_breached") or 0)),
            "fr_breached",
            lambda r: _share(r, "fr_met", "fr_met", "fr_breached"),
        ),
        (
            "Resolution compliance",
            lambda r: percent(r.get("res_met"), (r.get("res_met") or 0) + (r.get("res_breached") or 0)),
            "res_breached",
            lambda r: _share(r, "res_met", "res_met", "res_breached"),
        ),
        ("Time to acknowledge (median)", lambda r: duration(r.get("ack_median")), "", lambda r: r.get("ack_median")),
        ("Time to acknowledge (p90)", lambda r: duration(r.get("ack_p90")), "", lambda r: r.get("ack_p90")),
        (
            "Time to resolution (median)",
            lambda r: duration(r.get("resolution_median")),
            "resolved",
            lambda r: r.get("resolution_median"),
        ),
        (
            "Time to resolution (p90)",
            lambda r: duration(r.get("resolution_p90")),
            "resolved",
            lambda r: r.get("resolution_p90"),
        ),
        ("Breaches", lambda r: count(r.get("breached")), "breached", lambda r: r.get("breached") or 0),
        ("Failovers", lambda r: count(r.get("failovers")), "failover", lambda r: r.get("failovers") or 0),
    ]


def _difference(label: str, now: float | None, before: float | None) -> Cell:
    """This period's figure less the previous one's, in its unit: a count, percentage points or minutes."""
    unit = MINUTES if label.startswith("Time to") else PERCENT if "rate" in label or "compliance" in label else ""
    if now is None or before is None:
        return Cell(NOTHING, unit=unit)
    delta = now - before
    sign = "+" if delta >= 0 else "−"
    if unit == MINUTES:
        return Cell(sign + human_duration(abs(delta)), value=in_minutes(delta), unit=unit)
    if unit == PERCENT:
        return Cell(f"{sign}{abs(delta):.1f} pts".replace(".0 ", " "), value=round(delta, 1), unit=unit)
    return Cell(f"{delta:+g}", value=delta)


HEADLINE_TERMS = [
    "Opened",
    "Resolved",
    "Escalation rate",
    "First-response compliance",
    "Resolution compliance",
    "Time to acknowledge",
    "Time to resolution",
    "Breaches",
    "Failovers",
]


def overview_tables(f: ReportFilter, link: Links) -> list[Table]:
    figures = overview.overview_figures(f)
    headline = Table(
        "headline",
        "This period and the previous one",
        ["KPI", "This period", "Previous period", "Change"],
        "Each figure is defined below the table; the previous period is as long as this one and ends where it "
        "starts (a month is compared with the whole month before).",
    )
    for label, cell, metric, number in _headline():
        now, before = figures[CURRENT], figures[PREVIOUS]
        current = cell(now)
        previous = cell(before)
        if metric:
            current = replace(current, link=link(metric))
            previous = replace(previous, link=link(metric, which=PREVIOUS))
        headline.add(Cell(label), current, previous, _difference(label, number(now), number(before)))
    headline.footnotes = [(term, DEFINITIONS[term]) for term in HEADLINE_TERMS]
    trend = Table(
        "trend",
        f"Trend by {f.bucket}",
        [
            f.bucket.capitalize(),
            "Opened",
            "Escalated",
            "Resolved",
            "Breached",
            "First-response compliance",
            "Resolution compliance",
        ],
        "Tickets opened (and of them escalated and breached) per bucket of their creation; resolved per bucket of "
        "their resolution; compliance of the tickets opened in the bucket.",
        chart=Chart("line", (1, 2, 3, 4)),
    )
    for row in overview.trend(f):
        trend.add(
            Cell(row["bucket"].isoformat()),
            count(row.get("opened")),
            count(row.get("escalated")),
            count(row.get("resolved")),
            count(row.get("breached")),
            percent(row.get("fr_met"), (row.get("fr_met") or 0) + (row.get("fr_breached") or 0)),
            percent(row.get("res_met"), (row.get("res_met") or 0) + (row.get("res_breached") or 0)),
        )
    compliance = Table(
        "compliance-trend",
        f"SLA compliance by {f.bucket}",
        trend.columns[:1] + trend.columns[5:],
        DEFINITIONS["First-response compliance"],
        chart=Chart("line", (1, 2)),
    )
    compliance.rows = [[row[0], row[5], row[6]] for row in trend.rows]
    return [headline, trend, compliance]


# --- escalations -------------------------------------------------------------------------------------------------


def escalation_tables(f: ReportFilter, link: Links) -> list[Table]:
    by_tier = Table(
        "by-tier",
        "Escalation rate by tier",
        ["Tier", "Handled", "Escalated up", "Escalations", "Escalation rate"],
        DEFINITIONS["Escalation rate by tier"],
        chart=Chart("bar", (4,)),
    )
    for row in escalations.rate_by_tier(f):
        tier = row["tier"]
        by_tier.add(
            Cell(str(tier)),
            count(row["handled"], link("opened", passed_tier=tier.pk)),
            count(row["tickets"], link("escalated", left_tier=tier.pk)),
            count(row["escalations"]),
            percent(row["tickets"], row["handled"]),
        )
    by_category = Table(
        "by-category",
        "Escalation rate by category",
        ["Category", "Opened", "Escalated", "Escalation rate"],
        DEFINITIONS["Escalation rate by category"],
        chart=Chart("bar", (3,)),
    )
    for row in escalations.rate_by_category(f):
        by_category.add(
            Cell(Ticket.Category(row["category"]).label),
            *_rate_cells(link, row["escalated"], row["opened"], category=row["category"]),
        )
    by_agent = Table(
        "by-agent",
        "Escalation rate by agent",
        ["Agent", "Handled", "Escalated up", "Escalations", "Escalation rate"],
        DEFINITIONS["Escalation rate by agent"],
    )
    for row in escalations.rate_by_agent(f):
        by_agent.add(
            Cell(row["name"]),
            count(row["handled"], link("opened", acked_by=row["person"])),
            count(row["escalated"], link("escalated", escalated_by=row["person"])),
            count(row["escalations"]),
            percent(row["escalated"], row["handled"]),
        )
    to_escalate = Table(
        "time-to-escalate",
        "Time to escalate",
        ["Severity", "Escalated tickets", "Median", "p90"],
        DEFINITIONS["Time to escalate"],
        chart=Chart("bar", (2, 3)),
    )
    for row in escalations.time_to_escalate(f):
        to_escalate.add(
            Cell(row["severity_code"]),
            count(row["count"], link("escalated", severity=row["severity_id"])),
            duration(row["median"]),
            duration(row["p90"]),
        )
    handoffs = Table(
        "handoffs",
        "Handoffs per ticket",
        ["Handoffs", "Tickets", "Share"],
        DEFINITIONS["Handoffs per ticket"],
        chart=Chart("bar", (1,)),
    )
    distribution = escalations.handoffs_distribution(f)
    total = sum(row["tickets"] for row in distribution)
    for row in distribution:
        handoffs.add(
            Cell(str(row["handoffs"])),
            count(row["tickets"], link("opened", handoffs=row["handoffs"])),
            percent(row["tickets"], total),
        )
    moved = escalations.movement(f)
    movement = Table(
        "movement",
        "De-escalation",
        ["Opened", "Escalated", "De-escalated", "De-escalation rate"],
        DEFINITIONS["De-escalation rate"],
    )
    movement.add(
        count(moved["opened"], link("opened")),
        count(moved["escalated"], link("escalated")),
        count(moved["deescalated"], link("deescalated")),
        percent(moved["deescalated"], moved["escalated"]),
    )
    bounces = Table("bounces", "Bounces refused", ["From", "Back to", "Refused", "Tickets"], DEFINITIONS["Bounces"])
    for row in escalations.bounces(f):
        bounces.add(
            f"L{row['from_tier__level']}",
            f"L{row['to_tier__level']}",
            count(row["refused"]),
            count(row["tickets"], link("bounced")),
        )
    kinds = Table(
        "kinds",
        "Escalation kinds",
        ["Kind", "Moves", "Tickets"],
        DEFINITIONS["Escalation kinds"],
        chart=Chart("bar", (1,)),
    )
    for row in escalations.kinds(f):
        tickets = link("opened", kind=row["kind"])
        kinds.add(Cell(row["label"]), count(row["escalations"], tickets), count(row["tickets"], tickets))
    return [by_tier, by_category, by_agent, to_escalate, handoffs, movement, kinds, bounces]


# --- SLA ---------------------------------------------------------------------------------------------------------

COMPLIANCE_TABLES = {
    "tier": ("Compliance by tier", lambda row: (f"L{row['tier__level']} · {row['tier__name']}", {"tier": row["tier"]})),
    "severity": ("Compliance by severity", lambda row: (row["severity__code"], {"severity": row["severity"]})),
    "account_tier": (
        "Compliance by account tier",
        lambda row: (Account.AccountTier(row["account__tier"]).label, {"account_tier": row["account__tier"]}),
    ),
    "calendar": ("Compliance by calendar", lambda row: (row["calendar"], {"calendar": row["calendar"]})),
}


def sla_tables(f: ReportFilter, link: Links) -> list[Table]:
    tables = []
    for dimension, (title, label_of) in COMPLIANCE_TABLES.items():
        table = Table(
            f"compliance-{dimension.replace('_', '-')}",
            title,
            [title.split(" by ")[1].capitalize()] + COMPLIANCE_COLUMNS,
            DEFINITIONS["Compliance"],
            chart=Chart("bar", (4, 7)),
        )
        for row in sla.compliance_by(f, dimension):
            label, dims = label_of(row)
            table.add(Cell(label), *_compliance_cells(row, link, **dims))
        tables.append(table)
    breaches = Table(
        "breaches",
        "Breach list",
        ["Ticket", "Title", "Account", "Tier", "Severity", "Owner", "First response late by", "Resolution late by"],
        DEFINITIONS["Breach list"],
    )
    for ticket in sla.breach_list(f):
        breaches.add(
            Cell(ticket.reference, reverse("escalations:ticket", args=[ticket.number])),
            ticket.title,
            ticket.account.name,
            ticket.tier.label,
            ticket.severity.code,
            ticket.primary_owner.get_username() if ticket.primary_owner else "—",
            duration(ticket.first_response_late),
            duration(ticket.resolution_late),
        )
    breaches.note = f"The {sla.BREACH_LIST_LENGTH} latest at most; all of them: see the breached figures above."
    tables.append(breaches)
    times = sla.acknowledgement_times(f)
    for by in ("tier", "team"):
        table = Table(
            f"ack-{by}",
            f"Time to acknowledge by {by}",
            [by.capitalize(), "Acknowledgements", "Median", "p90"],
            DEFINITIONS["Time to acknowledge"],
            chart=Chart("bar", (2, 3)),
        )
        for row in times[by]:
            table.add(
                Cell(row["label"]),
                count(row["count"], link("opened", **{by: row["key"]})),
                duration(row["median"]),
                duration(row["p90"]),
            )
        tables.append(table)
    tables.append(_owners_table(f, link, times["owner"]))
    return tables


def _owners_table(f: ReportFilter, link: Links, rows: list[dict]) -> Table:
    """Who misses acknowledgements: each owner's acknowledgement times beside the failovers away from them."""
    table = Table(
        "ack-owner",
        "Acknowledgements and failovers by owner",
        ["Owner", "Acknowledgements", "Median", "p90", "Failovers"],
        DEFINITIONS["Acknowledgements"],
    )
    failovers = sla.failovers_by_owner(f)
    for row in rows:
        missed = failovers.pop(row["key"], {}).get("failovers", 0)
        table.add(
            Cell(row["label"]),
            count(row["count"], link("opened", acked_by=row["key"])),
            duration(row["median"]),
            duration(row["p90"]),
            count(missed, link("opened", failed_over=row["key"])),
        )
    for pk, row in failovers.items():
        table.add(
            Cell(row["from_owner__username"]),
            count(0),
            duration(None),
            duration(None),
            count(row["failovers"], link("opened", failed_over=pk)),
        )
    table.rows.sort(key=lambda cells: (-(cells[4].value or 0), -(cells[3].value or 0)))
    return table


# --- accounts ----------------------------------------------------------------------------------------------------


def account_tables(f: ReportFilter, link: Links, *, at_least: int) -> list[Table]:
    table = Table(
        "repeat-escalations",
        f"Accounts with {at_least} or more escalations",
        [
            "Account",
            "Account tier",
            "ARR (USD)",
            "Health score",
            "Tickets",
            "Escalated tickets",
            "Escalations",
            "Breached",
            "Risk",
        ],
        DEFINITIONS["Repeat escalations"],
        chart=Chart("bar", (6,)),
    )
    for row in accounts.repeat_escalations(f, at_least=at_least):
        account = row["account"]
        table.add(
            Cell(row["account__name"]),
            Account.AccountTier(row["account__tier"]).label,
            money(row["account__arr"]),
            count(row["account__health_score"]),
            count(row["tickets"], link("opened", account=account)),
            count(row["escalated"], link("escalated", account=account)),
            count(row["escalation_count"]),
            count(row["breached"], link("breached", account=account)),
            count(row["risk"]),
        )
    return [table]


# --- escalation quality ------------------------------------------------------------------------------------------


def _failure_table(link: Links, key: str, title: str, columns: list[str], rows: list[dict], **how) -> Table:
    """A failure mode per tier or agent: the label, all of them, the failing ones (linked), the rate."""
    total, part, definition = how["total"], how["part"], how["definition"]
    table = Table(key, title, columns, DEFINITIONS[definition], chart=Chart("bar", (3,)) if how["chart"] else None)
    for row in rows:
        table.add(
            Cell(how["label"](row)),
            count(row[total]),
            count(row[part], link(how["metric"], **how["dims"](row))),
            percent(row[part], row[total]),
        )
    return table


def quality_tables(f: ReportFilter, link: Links) -> list[Table]:
    tier = {"label": lambda row: f"L{row['from_tier__level']}", "dims": lambda row: {"left_tier": row["from_tier"]}}
    agent = {"label": lambda row: row["by__username"], "dims": lambda row: {"escalated_by": row["by"]}}
    over = {"total": "escalations", "part": "over", "metric": "over_escalated", "definition": "Over-escalation"}
    under = {"total": "escalated", "part": "late", "metric": "under_escalated", "definition": "Under-escalation"}
    over_columns = ["Escalations", "Undone soon", "Over-escalation rate"]
    under_columns = ["Escalated tickets", "Breached before escalating", "Under-escalation rate"]
    return [
        _failure_table(link, "over-tier", "Over-escalation by tier", ["Tier left", *over_columns],
                       quality.over_escalation(f, "tier"), chart=True, **over, **tier),
        _failure_table(link, "over-agent", "Over-escalation by agent", ["Agent", *over_columns],
                       quality.over_escalation(f, "agent"), chart=False, **over, **agent),
        _failure_table(link, "under-tier", "Under-escalation by tier", ["Tier left", *under_columns],
                       quality.under_escalation(f, "tier"), chart=True, **under, **tier),
        _failure_table(link, "under-agent", "Under-escalation by agent", ["Agent", *under_columns],
                       quality.under_escalation(f, "agent"), chart=False, **under, **agent),
    ]  # fmt: skip


# --- review queues -----------------------------------------------------------------------------------------------


def review_tables(f: ReportFilter, link: Links) -> list[Table]:
    reasons = Table(
        "reasons",
        "Escalation reasons by month",
        ["Month", "Tier left", "Reason", "Escalations"],
        DEFINITIONS["Escalation reasons"],
    )
    for row in reviews.reasons_by_month(f):
        reason = row["criteria__text"] or f"({Escalation.Kind(row['kind']).label})"
        reasons.add(
            row["month"].strftime("%Y-%m"),
            f"L{row['from_tier__level']}",
            reason,
            count(row["escalations"], link("escalated", kind=row["kind"])),
        )
    causes = Table(
        "causes",
        "Review causes by month",
        ["Month", "Cause", "Reviews", "A lower tier could have solved it"],
        DEFINITIONS["Review causes"],
    )
    for row in reviews.review_causes_by_month(f):
        causes.add(
            row["month"].strftime("%Y-%m"),
            EscalationReview.Cause(row["cause"]).label,
            count(row["reviews"]),
            count(row["avoidable"]),
        )
    return [reasons, causes]
