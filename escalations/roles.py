"""Who may do what: the roles of the desk and the rules that transitions check.

Permissions are Django permissions granted to the role groups by a data migration;
"works this tier" means being a member of the tier's team group. Each app words its refusals in its own
`permissions` module on top of `require_reader` and `require_manager`.
"""

from django.core.exceptions import PermissionDenied

AGENTS = "Agents"
MANAGERS = "Managers"
ADMINS = "Admins"

READ_TICKETS = "escalations.view_ticket"
WORK_TICKETS = "escalations.work_tickets"
MANAGE_TICKETS = "escalations.manage_tickets"

CLOCK_USERNAME = "sla-clock"
INBOUND_USERNAME_PREFIX = "inbound-"


def _groups(user) -> dict[int, str]:
    """The user's groups (id → name), read once per user object: roles and teams are both groups."""
    if not user.is_authenticated:
        return {}
    if not hasattr(user, "_desk_groups"):
        user._desk_groups = dict(user.groups.values_list("pk", "name"))
    return user._desk_groups


def team_ids(user) -> frozenset[int]:
    """The ids of the groups the user belongs to."""
    return frozenset(_groups(user))


def is_manager(user) -> bool:
    return user.is_active and user.has_perm(MANAGE_TICKETS)


def is_admin(user) -> bool:
    return user.is_active and (user.is_superuser or ADMINS in _groups(user).values())


def require_reader(user, what: str) -> None:
    """Refuse anyone outside the support team (agents, managers, admins); `what` names the pages, e.g. "Reports"."""
    if not user.has_perm(READ_TICKETS):
        raise PermissionDenied(f"{what} are for the support team.")


def require_manager(user, action: str) -> None:
    """Refuse anyone but a manager; `action` says what only a manager may do, e.g. "retire templates"."""
    if not is_manager(user):
        raise PermissionDenied(f"Only a manager may {action}.")


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


def can_own(user) -> bool:
    """Who may be made an owner: a person who works tickets, never a system user."""
    return user.is_active and user.has_perm(WORK_TICKETS) and not is_system_user(user)


def is_system_user(user) -> bool:
    """The SLA clock and the inbound sources act through the services but are nobody: they never sign in or own."""
    username = user.get_username()
    return username == CLOCK_USERNAME or username.startswith(INBOUND_USERNAME_PREFIX)


def without_system_users(people):
    """People who can be picked: owner and availability choices never offer the system users."""
    return people.exclude(username=CLOCK_USERNAME).exclude(username__startswith=INBOUND_USERNAME_PREFIX)
