"""Whom a step means: a person, the least-loaded available member of a team, or the on-call of a tier.

Read-only, so the simulation resolves owners exactly as a live run would.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from escalations import roles
from escalations.models import Ticket, Tier
from escalations.models.ticket import OPEN_STATUS_VALUES
from escalations.services.notifications import managers_of


def least_loaded(people: QuerySet):
    """Who holds the fewest open tickets as primary owner; people marked away are skipped; ties by name."""
    return (
        roles.without_system_users(people)
        .filter(is_active=True)
        .exclude(desk_profile__is_away=True)
        .annotate(load=Count("primary_tickets", filter=Q(primary_tickets__status__in=OPEN_STATUS_VALUES)))
        .order_by("load", "username")
        .first()
    )


def tier_team(level: int) -> QuerySet:
    return get_user_model().objects.filter(groups__tiers__level=level, groups__tiers__is_active=True)


def person_for(params: dict, *, exclude: frozenset[int] = frozenset()):
    """The person an assign step names, or None when nobody is available; a team never picks someone excluded."""
    people = get_user_model().objects
    if params["target"] == "person":
        return people.filter(username=params["person"], is_active=True).first()
    if params["target"] == "team":
        return least_loaded(people.filter(groups__name=params["team"]).exclude(pk__in=exclude))
    return least_loaded(tier_team(params["tier"]).exclude(pk__in=exclude))


def audience_for(params: dict, ticket: Ticket) -> list:
    audience = params["audience"]
    if audience == "owners":
        return [person for person in (ticket.primary_owner, ticket.backup_owner, ticket.escalation_owner) if person]
    if audience == "managers":
        return list(managers_of(ticket))
    if audience == "tier":
        return list(tier_team(params["tier"]).filter(is_active=True).order_by("username"))
    oncall = least_loaded(tier_team(params["tier"]))
    return [oncall] if oncall else []


def tier_at(level: int) -> Tier | None:
    return Tier.objects.filter(level=level, is_active=True).first()
