"""The SLA page: compliance by tier, severity, account tier and calendar, the breaches, acknowledgement times."""

from django.urls import reverse

from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, DURATION, PERCENTAGE, TEXT, in_minutes
from reporting.filters import ReportFilter
from reporting.reports.common import FIRST_RESPONSE_COMPLIANCE, RESOLUTION_COMPLIANCE, account_tier, tickets_behind
from reporting.selectors import sla
from reporting.tables import Column, Links, Table, TableSpec


def _compliance(dimension: str, label: Column, key: str) -> TableSpec:
    """First-response and resolution outcomes per value of a dimension (the row's `key`), linked to their tickets."""

    def counted(name: str, metric: str) -> Column:
        return Column(name, COUNT, metric, tickets_behind(metric, **{dimension: key}))

    return TableSpec(
        f"compliance-{dimension.replace('_', '-')}",
        f"Compliance by {label.label.lower()}",
        DEFINITIONS["Compliance"],
        (
            label,
            counted("Opened", "opened"),
            counted("First response met", "fr_met"),
            counted("First response breached", "fr_breached"),
            Column("First-response compliance", PERCENTAGE, FIRST_RESPONSE_COMPLIANCE, charted=True),
            counted("Resolution met", "res_met"),
            counted("Resolution breached", "res_breached"),
            Column("Resolution compliance", PERCENTAGE, RESOLUTION_COMPLIANCE, charted=True),
        ),
        chart="bar",
    )


COMPLIANCE = {
    dimension: _compliance(dimension, label, key)
    for dimension, label, key in (
        ("tier", Column("Tier", TEXT, lambda row: f"L{row['tier__level']} · {row['tier__name']}"), "tier"),
        ("severity", Column("Severity", TEXT, "severity__code"), "severity"),
        ("account_tier", Column("Account tier", TEXT, account_tier), "account__tier"),
        ("calendar", Column("Calendar", TEXT, "calendar"), "calendar"),
    )
}
BREACHES = TableSpec(
    "breaches",
    "Breach list",
    DEFINITIONS["Breach list"],
    (
        Column("Ticket", TEXT, "reference", lambda ticket, _: reverse("escalations:ticket", args=[ticket.number])),
        Column("Title", TEXT, "title"),
        Column("Account", TEXT, lambda ticket: ticket.account.name),
        Column("Tier", TEXT, lambda ticket: ticket.tier.label),
        Column("Severity", TEXT, lambda ticket: ticket.severity.code),
        Column("Owner", TEXT, lambda ticket: ticket.primary_owner.get_username() if ticket.primary_owner else None),
        Column("First response late by", DURATION, "first_response_late"),
        Column("Resolution late by", DURATION, "resolution_late"),
    ),
    note=f"The {sla.BREACH_LIST_LENGTH} latest at most; all of them: see the breached figures above.",
)


def _acknowledgements(by: str) -> TableSpec:
    return TableSpec(
        f"ack-{by}",
        f"Time to acknowledge by {by}",
        DEFINITIONS["Time to acknowledge"],
        (
            Column(by.capitalize(), TEXT, "label"),
            Column("Acknowledgements", COUNT, "count", tickets_behind("opened", **{by: "key"})),
            Column("Median", DURATION, "median", charted=True),
            Column("p90", DURATION, "p90", charted=True),
        ),
        chart="bar",
    )


ACKNOWLEDGEMENTS = {by: _acknowledgements(by) for by in ("tier", "team")}


def _acknowledged_by(row: dict, links: Links) -> str:
    """The tickets an owner acknowledged; no link for an owner who only let acknowledgements time out."""
    return links("opened", acked_by=row["key"]) if row["count"] else ""


OWNERS = TableSpec(
    "ack-owner",
    "Acknowledgements and failovers by owner",
    DEFINITIONS["Acknowledgements"],
    (
        Column("Owner", TEXT, "label"),
        Column("Acknowledgements", COUNT, "count", _acknowledged_by),
        Column("Median", DURATION, "median"),
        Column("p90", DURATION, "p90"),
        Column("Failovers", COUNT, "failovers", tickets_behind("opened", failed_over="key")),
    ),
)


def _owners(report_filter: ReportFilter, acknowledged: list[dict]) -> list[dict]:
    """Who misses acknowledgements: each owner's acknowledgement times beside the failovers away from them, also
    for owners who acknowledged nothing; the most failovers first, then the slowest p90."""
    failovers = sla.failovers_by_owner(report_filter)
    rows = []
    for row in acknowledged:
        rows.append(row | {"failovers": failovers.pop(row["key"], {}).get("failovers", 0)})
    for pk, row in failovers.items():
        missed = {"failovers": row["failovers"], "count": 0, "median": None, "p90": None}
        rows.append({"key": pk, "label": row["from_owner__username"]} | missed)
    return sorted(rows, key=lambda row: (-row["failovers"], -in_minutes(row["p90"] or 0)))


def sla_tables(report_filter: ReportFilter, links: Links) -> list[Table]:
    tables = [spec.build(sla.compliance_by(report_filter, by), links) for by, spec in COMPLIANCE.items()]
    tables.append(BREACHES.build(sla.breach_list(report_filter), links))
    times = sla.acknowledgement_times(report_filter)
    tables += [spec.build(times[by], links) for by, spec in ACKNOWLEDGEMENTS.items()]
    tables.append(OWNERS.build(_owners(report_filter, times["owner"]), links))
    return tables
