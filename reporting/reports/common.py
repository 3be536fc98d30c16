"""What the report pages share: links to the tickets behind a figure, tiers and account tiers as the desk names
them, and the SLA compliance rates."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from escalations.models import Account
from reporting.figures import rate
from reporting.tables import Links, Row

FILTER_FIELDS = ("period", "start", "end", "tier", "team", "severity", "account_tier", "category", "agent")


class TicketLinks:
    """Links to the tickets behind a figure: the report's own filters, a metric and the row's dimension."""

    def __init__(self, query: QueryDict):
        self.base = {name: query[name] for name in FILTER_FIELDS if query.get(name)}

    def __call__(self, metric: str, **dimensions) -> str:
        chosen = {name: value for name, value in dimensions.items() if value not in (None, "")}
        return f"{reverse('reporting:tickets')}?{urlencode(self.base | {'metric': metric} | chosen)}"


def tickets_behind(metric: str, **dimensions: str) -> Callable[[Row, Links], str]:
    """A column's link: the tickets counted in `metric`, narrowed to each dimension's value in the row's key."""

    def link(row: Row, links: Links) -> str:
        return links(metric, **{dimension: row[key] for dimension, key in dimensions.items()})

    return link


def account_tier(row: dict) -> str:
    return Account.AccountTier(row["account__tier"]).label


def tier_level(key: str) -> Callable[[Row], str]:
    """A tier by its level, as the desk writes it: L1, L2…"""
    return lambda row: f"L{row[key]}"


FIRST_RESPONSE_COMPLIANCE = rate("fr_met", "fr_met", "fr_breached")
RESOLUTION_COMPLIANCE = rate("res_met", "res_met", "res_breached")
