"""Who is on the desk and who is away: the availability page's rows."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q, QuerySet

from escalations import roles
from escalations.models import Ticket


def desk_people(user) -> QuerySet:
    """Agents and managers with their away flag, teams and assignments awaiting their acknowledgement.

    Managers see everyone, since they cover for absences; agents see only themselves.
    """
    people = roles.without_system_users(
        get_user_model().objects.filter(is_active=True, groups__name__in=[roles.AGENTS, roles.MANAGERS])
    )
    if not roles.is_manager(user):
        people = people.filter(pk=user.pk)
    return (
        people.distinct()
        .select_related("desk_profile")
        .annotate(
            awaiting_acknowledgement=Count(
                "primary_tickets", filter=Q(primary_tickets__status=Ticket.Status.ASSIGNED), distinct=True
            )
        )
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name"), to_attr="desk_groups"))
        .order_by("username")
    )
