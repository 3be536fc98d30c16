"""Who may do what: the roles of the desk and the rules that transitions check.

Permissions are Django permissions, declared per role in ROLE_PERMISSIONS and given to the role groups after every
migrate (`escalations.management.role_groups_sync`); "works this tier" means being a member of the tier's team group.
Each app words its refusals in its own `permissions` module on top of `require_reader` and `require_manager`.
"""

from django.core.exceptions import PermissionDenied

AGENTS = "Agents"
MANAGERS = "Managers"
ADMINS = "Admins"

READ_TICKETS = "escalations.view_ticket"
WORK_TICKETS = "escalations.work_tickets"
MANAGE_TICKETS = "escalations.manage_tickets"


def _every_action(*models: str) -> list[str]:
    return [f"{action}_{model}" for model in models for action in ("add", "change", "delete", "view")]


_READ_CONFIGURATION = ["view_tier", "view_severity", "view_account", "view_escalationcriterion"]
_AGENT = [*_READ_CONFIGURATION, "view_ticket", "add_ticket", "work_tickets"]

# Each role group has exactly these permissions (app label → codenames): a migrate adds what is missing and removes
# the rest, so a database granted more by an older release converges. Teams are other groups, never touched.
ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    AGENTS: {"escalations": _AGENT},
    MANAGERS: {"escalations": [*_AGENT, "manage_tickets"]},
    ADMINS: {
        "escalations": [
            *_every_action("tier", "severity", "account", "escalationcriterion"),
            *_every_action("calendar", "holiday", "webhookendpoint", "profile"),
            "view_ticket",
            "change_ticket",
            *[f"view_{model}" for model in ("slaevent", "notification", "escalation", "ownershiptransfer")],
        ],
        "auth": [f"{action}_{model}" for model in ("user", "group") for action in ("add", "change", "view")],
        # Read only: a schedule's function and arguments run as code in the cluster, so only superusers write them.
        "django_q": ["view_schedule", "view_failure", "view_success", "view_ormq"],
        # Clearing a sign-in lockout is deleting its attempt.
        "axes": ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
    },
}

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
