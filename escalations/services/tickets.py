"""Opening a ticket and moving it through its life: assign, acknowledge, wait, resume, resolve, close, reopen."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from escalations import roles
from escalations.models import Account, Severity, Ticket, Tier
from escalations.services.audit import require_reason, require_tier_member, run_transition, save_with_audit
from escalations.signals import ticket_closing

FIRST_TICKET_NUMBER = 10001
NUMBER_ATTEMPTS = 5


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
    routed = severity.route_to if severity.route_to and severity.route_to.is_active else None
    tier = routed or Tier.objects.filter(is_active=True).first()
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
                save_with_audit(ticket, by=by, reason=f"Opened at {tier.label} ({severity.code})")
            return ticket
        except IntegrityError:
            ticket.pk = None  # another ticket took this number at the same moment: take the next one
    raise ValidationError("The desk is very busy and could not number this ticket; submit it again.")


def ticket_assign(*, ticket: Ticket, by, owner, reason: str = "") -> Ticket:
    """Hand a new ticket to an agent of its tier; it then awaits their acknowledgement."""
    reason = reason.strip() or f"Assigned to {owner.get_username()}"
    return run_transition(
        ticket,
        by=by,
        name="assign",
        reason=reason,
        validate=lambda: require_tier_member(owner, ticket.tier),
        owner=owner,
    )


def ticket_acknowledge(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    """The owner accepts the assignment; the first acknowledgement is also the ticket's first response."""
    return run_transition(
        ticket, by=by, name="acknowledge", reason=reason.strip() or "Acknowledged", acknowledged_by=by
    )


def ticket_wait_on_customer(*, ticket: Ticket, by, reason: str) -> Ticket:
    return run_transition(ticket, by=by, name="wait_on_customer", reason=require_reason(reason, "wait on the customer"))


def ticket_resume(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    return run_transition(ticket, by=by, name="resume", reason=reason.strip() or "Customer replied; work resumed")


def ticket_resolve(*, ticket: Ticket, by, reason: str) -> Ticket:
    return run_transition(ticket, by=by, name="resolve", reason=require_reason(reason, "resolve (the resolution)"))


def ticket_close(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    refuse = lambda: ticket_closing.send(Ticket, ticket=ticket, by=by)  # noqa: E731 - e.g. QA checks not passed
    return run_transition(ticket, by=by, name="close", reason=reason.strip() or "Closed", validate=refuse)


def ticket_reopen(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Reopening keeps the original SLA clock: deadlines still run from creation."""
    return run_transition(ticket, by=by, name="reopen", reason=require_reason(reason, "reopen"))


def ticket_clear_flag(*, ticket: Ticket, by, reason: str) -> Ticket:
    """A manager has looked at a ticket flagged for ping-pong and decided what happens next."""
    if not roles.is_manager(by):
        raise PermissionDenied("Only a manager clears a ticket's flag.")
    if ticket.flagged_at is None:
        raise ValidationError(f"{ticket.reference} is not flagged.")
    ticket.flagged_at, ticket.flag_reason = None, ""
    with transaction.atomic():
        save_with_audit(ticket, by=by, reason=f"Flag cleared: {require_reason(reason, 'clear the flag')}")
    return ticket


SIMPLE_TRANSITIONS = {
    "assign": ticket_assign,
    "acknowledge": ticket_acknowledge,
    "wait_on_customer": ticket_wait_on_customer,
    "resume": ticket_resume,
    "resolve": ticket_resolve,
    "close": ticket_close,
    "reopen": ticket_reopen,
}
