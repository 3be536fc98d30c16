"""The accounts page: the accounts that keep escalating, with what is at stake and how healthy they are."""

from dataclasses import replace

from reporting.definitions import DEFINITIONS
from reporting.figures import COUNT, MONEY, TEXT
from reporting.filters import ReportFilter
from reporting.reports.common import account_tier, tickets_behind
from reporting.selectors import accounts
from reporting.tables import Column, Links, Table, TableSpec

REPEAT_ESCALATIONS = TableSpec(
    "repeat-escalations",
    "Accounts with {at_least} or more escalations",
    DEFINITIONS["Repeat escalations"],
    (
        Column("Account", TEXT, "account__name"),
        Column("Account tier", TEXT, account_tier),
        Column("ARR (USD)", MONEY, "account__arr"),
        Column("Health score", COUNT, "account__health_score"),
        Column("Tickets", COUNT, "tickets", tickets_behind("opened", account="account")),
        Column("Escalated tickets", COUNT, "escalated", tickets_behind("escalated", account="account")),
        Column("Escalations", COUNT, "escalation_count", charted=True),
        Column("Breached", COUNT, "breached", tickets_behind("breached", account="account")),
        Column("Risk", COUNT, "risk"),
    ),
    chart="bar",
)


def account_tables(report_filter: ReportFilter, links: Links, *, at_least: int) -> list[Table]:
    spec = replace(REPEAT_ESCALATIONS, title=REPEAT_ESCALATIONS.title.format(at_least=at_least))
    return [spec.build(accounts.repeat_escalations(report_filter, at_least=at_least), links)]
