"""Who may do what: the roles of the desk and the rules that transitions check.

Permissions are Django permissions granted to the role groups by a data migration;
"works this tier" means being a member of the tier's team group.
"""

AGENTS = "Agents"
MANAGERS = "Managers"
ADMINS = "Admins"

WORK_TICKETS = "escalations.work_tickets"
MANAGE_TICKETS = "escalations.manage_tickets"


def team_ids(user) -> frozenset[int]:
    """The ids of the groups the user belongs to, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_desk_team_ids"):
        user._desk_team_ids = frozenset(user.groups.values_list("pk", flat=True))
    return user._desk_team_ids


def is_manager(user) -> bool:
    return user.is_active and user.has_perm(MANAGE_TICKETS)


def is_admin(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=ADMINS).exists())


def works_tier(user, tier) -> bool:
    return user.is_active and user.has_perm(WORK_TICKETS) and tier.team_id in team_ids(user)


def owns(user, ticket) -> bool:
    return user.pk is not None and user.pk in ticket.owner_ids


def can_work_ticket(ticket, user) -> bool:
    """Managers work any ticket; agents work the tickets of their tier or that they own."""
    if is_manager(user):
        return True
    return user.is_active and user.has_perm(WORK_TICKETS) and (owns(user, ticket) or works_tier(user, ticket.tier))


def can_acknowledge(ticket, user) -> bool:
    """An assignment is acknowledged by its owners, or by anyone of the tier when it sits in the team queue."""
    if is_manager(user):
        return True
    if ticket.primary_owner_id is None:
        return works_tier(user, ticket.tier)
    return user.is_active and user.has_perm(WORK_TICKETS) and owns(user, ticket)
