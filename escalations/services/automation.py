"""What the desk's automation (guided templates, run as a system user) and people may change beside the transitions.

Other apps change a ticket only through these and the other public services: each checks who acts, validates,
writes in one transaction and leaves the actor and the reason in the ticket's history.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from escalations import roles
from escalations.models import Escalation, Severity, Ticket, Tier
from escalations.services.audit import require_reason, require_unchanged, run_transition, save_with_audit


def _require_worker(ticket: Ticket, by, action: str) -> None:
    if not roles.can_work_ticket(ticket, by):
        raise PermissionDenied(f"You may not {action} {ticket.reference}.")


def _require_automation(ticket: Ticket, by, action: str) -> None:
    """Only a system user (the clock, acting for a template) that may work the ticket."""
    if not roles.is_system_user(by):
        raise PermissionDenied(f"Only the desk's automation may {action}.")
    _require_worker(ticket, by, action)


def _require_open(ticket: Ticket, action: str) -> None:
    if not ticket.is_open:
        raise ValidationError(f"{ticket.reference} is {ticket.get_status_display().lower()}; you cannot {action} now.")


def _save(ticket: Ticket, *, by, reason: str) -> Ticket:
    with transaction.atomic():
        require_unchanged(ticket)
        save_with_audit(ticket, by=by, reason=reason)
    return ticket


def ticket_escalate_automated(*, ticket: Ticket, by, to_tier: Tier, reason: str) -> Escalation:
    """Up to a higher tier for a template, without criteria: an escalation of kind "template"."""
    _require_automation(ticket, by, "escalate without criteria")
    reason = require_reason(reason, "escalate")
    if not to_tier.is_active or to_tier.level <= ticket.tier.level:
        raise ValidationError(f"Escalation goes up: pick an active tier above {ticket.tier.label}.")
    from_tier = ticket.tier

    def record() -> Escalation:
        return Escalation.objects.create(
            ticket=ticket, from_tier=from_tier, to_tier=to_tier, kind=Escalation.Kind.TEMPLATE, rationale=reason, by=by
        )

    return run_transition(ticket, by=by, name="escalate", reason=reason, record=record, to_tier=to_tier)


def ticket_set_severity(*, ticket: Ticket, by, severity: Severity, reason: str) -> Ticket:
    """Reclassify the ticket; its deadlines are recomputed from its original creation time.

    Anyone who works the ticket may raise its severity; lowering it (P1 → P3) needs a manager or the automation.
    The history keeps the reason as given (a template's starts with its name); the timeline shows old → new.
    """
    _require_worker(ticket, by, "change the severity of")
    if severity.code > ticket.severity.code and not (roles.is_manager(by) or roles.is_system_user(by)):
        raise PermissionDenied(f"Only a manager may lower the severity of {ticket.reference}.")
    _require_open(ticket, "change its severity")
    reason = require_reason(reason, "change the severity")
    if severity.pk == ticket.severity_id:
        raise ValidationError(f"{ticket.reference} already is {severity.code}.")
    ticket.severity = severity
    ticket.compute_deadlines()
    return _save(ticket, by=by, reason=reason)


def ticket_set_title_prefix(*, ticket: Ticket, by, prefix: str, reason: str) -> Ticket:
    """Mark the title, e.g. "[URGENT]"; a title that already starts with the prefix is left as it is."""
    _require_worker(ticket, by, "retitle")
    prefix, reason = prefix.strip(), require_reason(reason, "retitle the ticket")
    if not prefix:
        raise ValidationError("Give the prefix to put before the title.")
    if ticket.title.startswith(prefix):
        return ticket
    ticket.title = f"{prefix} {ticket.title}"[: Ticket._meta.get_field("title").max_length]
    return _save(ticket, by=by, reason=reason)


def ticket_set_acknowledgement_deadline(*, ticket: Ticket, by, due: datetime, reason: str) -> Ticket:
    """A template's acknowledgement timeout becomes the deadline the SLA clock enforces (failover when missed)."""
    _require_automation(ticket, by, "set an acknowledgement deadline")
    reason = require_reason(reason, "set the acknowledgement deadline")
    if ticket.status != Ticket.Status.ASSIGNED:
        raise ValidationError(f"{ticket.reference} awaits no acknowledgement.")
    if timezone.is_naive(due) or (ticket.assigned_at and due < ticket.assigned_at):
        raise ValidationError("The acknowledgement deadline is a time (with its zone) after the assignment.")
    ticket.acknowledgement_due = due
    return _save(ticket, by=by, reason=reason)
