"""Business actions on tickets. Each one checks permission, validates, and runs in one transaction.

Views and tasks call these; nothing else calls a Ticket transition or sets its status.
"""

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from escalations import roles
from escalations.models import Account, Severity, Ticket, Tier

User = get_user_model()
FIRST_TICKET_NUMBER = 10001
NUMBER_ATTEMPTS = 5


class TicketConflict(Exception):
    """The ticket changed since the acting user loaded it; nothing was saved."""

    def __init__(self, ticket: Ticket):
        super().__init__(f"{ticket.reference} was changed by someone else meanwhile. Reload it and try again.")


def _save_with_audit(ticket: Ticket, *, by, reason: str) -> None:
    ticket._history_user = by
    ticket._change_reason = reason
    ticket.save()


def _transition(
    ticket: Ticket, *, by, name: str, reason: str, validate: Callable[[], None] | None = None, **kwargs
) -> Ticket:
    """Run one FSM transition for `by`, with the reason in the history row."""
    method = getattr(ticket, name)
    if not can_proceed(method):
        raise ValidationError(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; it cannot be {name.replace('_', ' ')}d now."
        )
    if not has_transition_perm(method, by):
        raise PermissionDenied(f"You may not {name.replace('_', ' ')} {ticket.reference}.")
    if validate:
        validate()
    try:
        with transaction.atomic():
            method(**kwargs)
            _save_with_audit(ticket, by=by, reason=reason)
    except ConcurrentTransition as exc:
        raise TicketConflict(ticket) from exc
    return ticket


def _require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"Say why you {action}: the reason goes into the ticket's audit trail.")
    return reason


def _require_tier_member(user, tier: Tier) -> None:
    if user is not None and not roles.works_tier(user, tier):
        raise ValidationError(f"{user.get_username()} is not an agent of {tier}; pick someone from its team.")


def _next_ticket_number() -> int:
    highest = Ticket.objects.aggregate(highest=Max("number"))["highest"]
    return (highest or FIRST_TICKET_NUMBER - 1) + 1


def ticket_create(
    *,
    by,
    title: str,
    description: str,
    account: Account,
    category: str,
    severity: Severity,
    requester: str,
    created_at: datetime | None = None,
) -> Ticket:
    """Open a ticket at the lowest active tier, or where its severity routes it (P0/P1 go straight to the top)."""
    if not by.has_perm("escalations.add_ticket"):
        raise PermissionDenied("You may not open tickets.")
    tier = (
        severity.route_to
        if severity.route_to and severity.route_to.is_active
        else Tier.objects.filter(is_active=True).first()
    )
    if tier is None:
        raise ValidationError("No active tier is configured: an admin has to set up tiers first.")
    ticket = Ticket(
        title=title,
        description=description,
        account=account,
        category=category,
        severity=severity,
        requester=requester,
        tier=tier,
        created_by=by,
        created_at=created_at or timezone.now(),
    )
    ticket.compute_deadlines()
    ticket.full_clean(exclude=["number", "status", "first_response_due", "resolution_due"])
    for _attempt in range(NUMBER_ATTEMPTS):
        ticket.number = _next_ticket_number()
        try:
            with transaction.atomic():
                _save_with_audit(ticket, by=by, reason=f"Opened at {tier.label} ({severity.code})")
            return ticket
        except IntegrityError:
            ticket.pk = None  # another ticket took this number at the same moment: take the next one
    raise ValidationError("The desk is very busy and could not number this ticket; submit it again.")


def ticket_assign(*, ticket: Ticket, by, owner, reason: str = "") -> Ticket:
    """Hand a new ticket to an agent of its tier; it then awaits their acknowledgement."""
    reason = reason.strip() or f"Assigned to {owner.get_username()}"
    return _transition(
        ticket,
        by=by,
        name="assign",
        reason=reason,
        validate=lambda: _require_tier_member(owner, ticket.tier),
        owner=owner,
    )


def ticket_acknowledge(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    return _transition(ticket, by=by, name="acknowledge", reason=reason.strip() or "Acknowledged", acknowledged_by=by)


def ticket_wait_on_customer(*, ticket: Ticket, by, reason: str) -> Ticket:
    return _transition(ticket, by=by, name="wait_on_customer", reason=_require_reason(reason, "wait on the customer"))


def ticket_resume(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    return _transition(ticket, by=by, name="resume", reason=reason.strip() or "Customer replied; work resumed")


def ticket_resolve(*, ticket: Ticket, by, reason: str) -> Ticket:
    return _transition(ticket, by=by, name="resolve", reason=_require_reason(reason, "resolve (the resolution)"))


def ticket_close(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    return _transition(ticket, by=by, name="close", reason=reason.strip() or "Closed")


def ticket_reopen(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Reopening keeps the original SLA clock: deadlines still run from creation."""
    return _transition(ticket, by=by, name="reopen", reason=_require_reason(reason, "reopen"))


def ticket_escalate(*, ticket: Ticket, by, to_tier: Tier, reason: str, owner=None) -> Ticket:
    """Move the ticket up to a higher tier, into its team queue or to a named agent of it."""

    def validate() -> None:
        if not to_tier.is_active or to_tier.level <= ticket.tier.level:
            raise ValidationError(f"Escalation goes up: pick an active tier above {ticket.tier.label}.")
        _require_tier_member(owner, to_tier)

    reason = _require_reason(reason, "escalate")
    return _transition(ticket, by=by, name="escalate", reason=reason, validate=validate, to_tier=to_tier, owner=owner)


def ticket_deescalate(*, ticket: Ticket, by, to_tier: Tier, reason: str, owner=None) -> Ticket:
    """Return the ticket to a lower tier once the part that needed this tier is done (seed 002, pitfall 3)."""

    def validate() -> None:
        if not to_tier.is_active or to_tier.level >= ticket.tier.level:
            raise ValidationError(f"De-escalation goes down: pick an active tier below {ticket.tier.label}.")
        _require_tier_member(owner, to_tier)

    reason = _require_reason(reason, "de-escalate")
    return _transition(ticket, by=by, name="deescalate", reason=reason, validate=validate, to_tier=to_tier, owner=owner)


TICKET_TRANSITIONS: dict[str, Callable[..., Ticket]] = {
    "assign": ticket_assign,
    "acknowledge": ticket_acknowledge,
    "wait_on_customer": ticket_wait_on_customer,
    "resume": ticket_resume,
    "resolve": ticket_resolve,
    "close": ticket_close,
    "reopen": ticket_reopen,
    "escalate": ticket_escalate,
    "deescalate": ticket_deescalate,
}
