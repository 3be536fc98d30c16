"""Each report page as tables: the selectors' rows built into the tables a page declares (reporting.tables), with
their definitions and links to the tickets behind each figure. One module per page; common.py is what they share."""

from reporting.reports.accounts import account_tables
from reporting.reports.common import FILTER_FIELDS, TicketLinks
from reporting.reports.escalations import escalation_tables
from reporting.reports.overview import overview_tables
from reporting.reports.quality import quality_tables
from reporting.reports.reviews import review_tables
from reporting.reports.sla import sla_tables

__all__ = [
    "FILTER_FIELDS",
    "TicketLinks",
    "account_tables",
    "escalation_tables",
    "overview_tables",
    "quality_tables",
    "review_tables",
    "sla_tables",
]
