"""What people do with what templates left on a ticket: sign a checklist item, record an inbound event."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from escalations import roles
from escalations.models import Ticket
from escalations.services.outbox import record_ticket_event
from escalations.validators import refuse_nul_characters
from templates_app.models import ChecklistItem, InboundEvent, InboundSource, ValidationWindow
from templates_app.models.governance import Event


def checklist_item_sign(*, item: ChecklistItem, by, decision: str) -> ChecklistItem:
    """An agent who works the ticket records the decision and signs; an item is signed once."""
    if not roles.can_work_ticket(item.ticket, by):
        raise PermissionDenied(f"Only someone working {item.ticket.reference} signs its checklist.")
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError("Write the decision you made: it is what the signature vouches for.")
    with transaction.atomic():
        item = ChecklistItem.objects.select_for_update().select_related("ticket", "run").get(pk=item.pk)
        if item.signed_at is not None:
            raise ValidationError(f"“{item.text}” was already signed by {item.signed_by.get_username()}.")
        item.signed_by, item.signed_at, item.decision = by, timezone.now(), decision
        item._history_user, item._change_reason = by, f"Signed: {decision}"
        item.save()
        if not item.run.checklist.filter(signed_at__isnull=True).exists():
            pending = ValidationWindow.objects.filter(run_id=item.run_id, state=ValidationWindow.State.PENDING)
            pending.update(state=ValidationWindow.State.VALIDATED, closed_at=item.signed_at)
    return item


def _may_record(ticket: Ticket, by, origin: InboundSource | None) -> bool:
    """A person records events only on a ticket they work; a source posts about any ticket, as its own system user.

    The event sets off the ticket's templates: pages, escalations, checklist items that block its close.
    """
    if origin is not None:
        return origin.is_active and origin.user_id == by.pk
    return roles.can_work_ticket(ticket, by)


def inbound_event_record(*, ticket: Ticket, by, name: str, source: str = "", **origin) -> InboundEvent:
    """Another system (CRM, publishing pipeline, monitoring) reports something about a ticket.

    `origin` names the InboundSource and its event id when the system posted it itself (see services.inbound).
    """
    if not _may_record(ticket, by, origin.get("origin")):
        raise PermissionDenied(f"Only someone working {ticket.reference} records events on it.")
    name, source = (name or "").strip(), (source or "").strip()
    if not name:
        raise ValidationError("Name the event, e.g. lead_rejected or pipeline_failure.")
    refuse_nul_characters(name, "The event's name")
    refuse_nul_characters(source, "The event's source")
    with transaction.atomic():
        event = InboundEvent.objects.create(ticket=ticket, name=name[:100], source=source[:100], by=by, **origin)
        record_ticket_event(ticket, Event.INBOUND, key=f"inbound-{event.pk}", inbound={"name": name, "source": source})
    return event
