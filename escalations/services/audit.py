"""What every ticket action shares: the transition runner, the audit record and the common checks."""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from escalations import roles
from escalations.models import Ticket, Tier
from escalations.services.writing import TicketChange, tickets_write

T = TypeVar("T")


class TicketConflict(Exception):
    """The ticket changed since the acting person loaded it; nothing was saved."""

    def __init__(self, ticket: Ticket):
        latest = Ticket.history.filter(id=ticket.pk).select_related("history_user").order_by("-history_id").first()
        who = latest.history_user.get_username() if latest and latest.history_user else "the system"
        when = timezone.localtime(latest.history_date).strftime("%H:%M:%S") if latest else "just now"
        super().__init__(
            f"{ticket.reference} changed since you opened it (by {who} at {when}). Check it and try again."
        )


def transition_label(method) -> str:
    """The words people see for a transition, e.g. "wait on customer"."""
    any_source = next(iter(method._django_fsm.transitions.values()))
    return any_source.custom.get("label", method.__name__).lower()


def require_transition(ticket: Ticket, *, name: str, by):
    """The bound transition, once the state allows it and `by` may run it; django-fsm-2 checks neither on a call."""
    method = getattr(ticket, name)
    label = transition_label(method)
    meta = method._django_fsm
    if meta.has_transition(ticket.status) and not meta.conditions_met(ticket, ticket.status):
        unavailable = meta.get_transition(ticket.status).custom.get("unavailable", "not ready for that")
        raise ValidationError(f"You cannot {label} {ticket.reference} now: it {unavailable}.")
    if not can_proceed(method):
        raise ValidationError(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; you cannot {label} it now."
        )
    if not has_transition_perm(method, by):
        raise PermissionDenied(f"You may not {label} {ticket.reference}.")
    return method


def save_with_audit(ticket: Ticket, *, by, reason: str, update_fields: list[str] | None = None) -> None:
    """Write one ticket's change (all its columns, or `update_fields`) with its history entry and desk event."""
    created = ticket._state.adding
    change = TicketChange(ticket, by, reason, [("created" if created else "updated", "")], created=created)
    tickets_write([ticket], [change], fields=update_fields)


def run_transition(
    ticket: Ticket,
    *,
    by,
    name: str,
    reason: str,
    validate: Callable[[], None] | None = None,
    record: Callable[[], T] | None = None,
    **kwargs,
) -> T | Ticket:
    """Run one FSM transition for `by` and write its records in the same transaction.

    django-fsm-2 never checks a transition's permission by itself, so it is checked here.
    """
    method = require_transition(ticket, name=name, by=by)
    if validate:
        validate()
    try:
        with transaction.atomic():
            require_unchanged(ticket)
            method(**kwargs)
            save_with_audit(ticket, by=by, reason=reason)
            return record() if record else ticket
    except ConcurrentTransition as exc:
        raise TicketConflict(ticket) from exc


def require_unchanged(ticket: Ticket) -> None:
    """Lock the ticket's row and refuse if it was saved since `ticket` was loaded.

    Stronger than django-fsm-2's ConcurrentTransitionMixin, which only compares the status: a failover
    leaves the status at "assigned", and the previous owner's acknowledgement must not land after it.
    """
    current = Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("updated_at", flat=True).first()
    if current != ticket.updated_at:
        raise TicketConflict(ticket)


def require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"Say why you {action}: the reason goes into the ticket's audit trail.")
    return reason


def require_tier_member(user, tier: Tier) -> None:
    if user is not None and roles.is_system_user(user):
        raise ValidationError(f"{user.get_username()} is a system account; pick a person from {tier}'s team.")
    if user is not None and not roles.works_tier(user, tier):
        raise ValidationError(f"{user.get_username()} is not an agent of {tier}; pick someone from its team.")
