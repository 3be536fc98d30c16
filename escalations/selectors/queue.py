"""The queues agents work from: open tickets, the nearest deadline first.

A queue page costs the same at a thousand tickets as at a hundred thousand: rows come in deadline order straight
from an index, and nothing counts the whole scope (a COUNT(*) grows with the queue), so pages say "next", not "of N".
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from escalations import roles
from escalations.models import Severity, Ticket, Tier
from escalations.models.ticket import NEXT_DUE, open_statuses_literally
from escalations.selectors.tickets import visible_tickets

QUEUE_SCOPES = {
    "mine": "My tickets",
    "team": "My team's tiers",
    "unassigned": "Unassigned",
    "breaching": "Breaching soon",
    "all": "All open",
}
MANAGER_SCOPES = {"all"}
DEFAULT_SCOPE = "mine"
BREACHING_WINDOW = timedelta(minutes=60)
PAGE_SIZE = 50
LAST_PAGE = 10_000

SORTS = {
    "deadline": ("next_due", "number"),
    "newest": ("-created_at", "-number"),
    "severity": ("severity__code", "next_due", "number"),
}
DEFAULT_SORT = "deadline"
REFERENCE = re.compile(rf"^(?:{Ticket.REFERENCE_PREFIX})?(\d{{1,18}})$", re.IGNORECASE)


@dataclass(frozen=True)
class QueuePage:
    """The tickets of one page and whether there are more, without counting the scope."""

    tickets: list[Ticket]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def queue_scopes_for(user) -> dict[str, str]:
    if roles.is_manager(user):
        return QUEUE_SCOPES
    return {key: label for key, label in QUEUE_SCOPES.items() if key not in MANAGER_SCOPES}


def _scope_filter(user, scope: str) -> Q:
    """Agents see the unassigned and breaching tickets of their tiers; managers see every tier's."""
    if scope == "mine":
        return Q(primary_owner=user) | Q(backup_owner=user) | Q(escalation_owner=user)
    tiers = Q() if roles.is_manager(user) and scope != "team" else Q(tier__team__in=roles.team_ids(user))
    if scope == "unassigned":
        return tiers & Q(primary_owner__isnull=True)
    if scope == "breaching":
        return tiers & Q(next_due__lte=timezone.now() + BREACHING_WINDOW)
    return tiers


def _search_filter(q: str) -> Q:
    """SUP-10023 or 10023 finds that ticket; anything else searches titles and account names."""
    reference = REFERENCE.match(q)
    if reference:
        return Q(number=int(reference.group(1)))
    return Q(title__icontains=q) | Q(account__name__icontains=q)


def ticket_queue(
    *,
    user,
    scope: str,
    q: str = "",
    severity: Severity | None = None,
    tier: Tier | None = None,
    status: str = "",
    account_tier: str = "",
    owner=None,
    sort: str = "",
) -> QuerySet[Ticket]:
    """Open tickets of one scope, filtered, with what a queue row shows joined into the same query."""
    filters = {
        "severity": severity,
        "tier": tier,
        "status": status,
        "account__tier": account_tier,
        "primary_owner": owner,
    }
    tickets = (
        visible_tickets(user)
        .annotate(next_due=NEXT_DUE)
        .filter(open_statuses_literally(), _scope_filter(user, scope))
        .filter(**{field: value for field, value in filters.items() if value})
        .select_related("account", "severity", "tier", "primary_owner")
    )
    if q:
        tickets = tickets.filter(_search_filter(q))
    return tickets.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def queue_page(tickets: QuerySet[Ticket], page: str | None) -> QueuePage:
    """One page of a queue in one query: it fetches one row more than it shows to know whether a next page exists."""
    try:
        number = min(max(int(page), 1), LAST_PAGE)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    rows = list(tickets[start : start + PAGE_SIZE + 1])
    return QueuePage(tickets=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE)
