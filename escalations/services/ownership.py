"""Who owns a ticket, changed only by explicit transfers; and the notes people leave on it."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from escalations import roles
from escalations.models import OwnershipTransfer, Ticket, TicketNote
from escalations.services.audit import require_reason, require_tier_member, run_transition, save_with_audit

MAX_EXPECTED_RESPONSE = timedelta(days=7)
ROLE_FIELDS = {
    OwnershipTransfer.Role.PRIMARY: "primary_owner",
    OwnershipTransfer.Role.BACKUP: "backup_owner",
    OwnershipTransfer.Role.ESCALATION: "escalation_owner",
}


def _validate_transfer(ticket: Ticket, role: str, to_owner, expected_response: timedelta) -> None:
    if role not in ROLE_FIELDS:
        raise ValidationError("Pick which ownership role is transferred.")
    if getattr(ticket, f"{ROLE_FIELDS[role]}_id") == to_owner.pk:
        raise ValidationError(
            f"{to_owner.get_username()} already is this ticket's {OwnershipTransfer.Role(role).label.lower()}."
        )
    if role != OwnershipTransfer.Role.PRIMARY and ticket.primary_owner_id == to_owner.pk:
        label = OwnershipTransfer.Role(role).label.lower()
        raise ValidationError(f"{to_owner.get_username()} is the primary owner; the {label} has to be someone else.")
    if role == OwnershipTransfer.Role.ESCALATION:
        if not roles.can_own(to_owner):
            raise ValidationError(f"{to_owner.get_username()} does not work tickets.")
    else:
        require_tier_member(to_owner, ticket.tier)
    if not timedelta(0) < expected_response <= MAX_EXPECTED_RESPONSE:
        raise ValidationError("The expected response must be between a minute and 7 days.")


def ticket_transfer(
    *, ticket: Ticket, by, role: str, to_owner, reason: str, expected_response: timedelta
) -> OwnershipTransfer:
    """Hand a role over explicitly, with the reason and the response expected.

    A new primary owner has to acknowledge, so the ticket goes back to awaiting acknowledgement.
    """
    reason = require_reason(reason, "transfer ownership")
    field = ROLE_FIELDS.get(role)
    from_owner = getattr(ticket, field) if field else None
    audit = f"{OwnershipTransfer.Role(role).label if field else role} → {to_owner.get_username()}: {reason}"

    def record() -> OwnershipTransfer:
        return OwnershipTransfer.objects.create(
            ticket=ticket,
            role=role,
            from_owner=from_owner,
            to_owner=to_owner,
            reason=reason,
            expected_response=expected_response,
            by=by,
        )

    validate = lambda: _validate_transfer(ticket, role, to_owner, expected_response)  # noqa: E731
    if role == OwnershipTransfer.Role.PRIMARY:
        return run_transition(
            ticket, by=by, name="transfer", reason=audit, validate=validate, record=record, owner=to_owner
        )
    if not ticket.is_open or not roles.can_work_ticket(ticket, by):
        raise PermissionDenied(f"You may not change who owns {ticket.reference}.")
    validate()
    setattr(ticket, field, to_owner)
    with transaction.atomic():
        save_with_audit(ticket, by=by, reason=audit)
        return record()


def ticket_add_note(*, ticket: Ticket, by, visibility: str, body: str) -> TicketNote:
    """A public reply from the owning tier counts as the first response if none was given yet."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write something: an empty note helps nobody.")
    if visibility not in TicketNote.Visibility.values:
        raise ValidationError("A note is either internal or a public reply.")
    if visibility == TicketNote.Visibility.PUBLIC and not roles.can_work_ticket(ticket, by):
        raise PermissionDenied(f"Only the tier working {ticket.reference} replies to the customer.")
    if not by.has_perm(roles.WORK_TICKETS):
        raise PermissionDenied("You may not write on tickets.")
    with transaction.atomic():
        note = TicketNote.objects.create(ticket=ticket, visibility=visibility, body=body, author=by)
        if (
            visibility == TicketNote.Visibility.PUBLIC
            and ticket.first_responded_at is None
            and roles.works_tier(by, ticket.tier)
        ):
            ticket.first_responded_at = timezone.now()
            save_with_audit(ticket, by=by, reason="First response: public reply to the customer")
    return note
