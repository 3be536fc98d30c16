"""The templates' clock: delayed triggers and validation windows that fall due, each acted on exactly once.

Exactly once: the acting transaction claims the row with a conditional UPDATE of its state
(`filter(pk=…, state="pending").update(…) == 1`) before it acts. A second sweep or cluster blocks on the row
until the first commits and then matches nothing; if the action fails, its transaction rolls the claim back too.
"""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from escalations.models import OwnershipTransfer, Ticket, TicketNote
from escalations.services import ticket_add_note, ticket_transfer
from escalations.services.clock import clock_user
from escalations.services.notifications import managers_of, notify
from escalations.signals import event_cause
from templates_app.domain.conditions import conditions_hold
from templates_app.domain.facts import ticket_facts
from templates_app.models import DelayedTrigger, TemplateVersion, ValidationWindow
from templates_app.services.execution import STEP_FAILURES, escalate_as_template, run_version, ticket_for_run

logger = logging.getLogger(__name__)
RETRY_AFTER = timedelta(minutes=1)
HANDOVER_RESPONSE = timedelta(hours=1)


def _claim(model, pk: int, now: datetime, **done) -> bool:
    """Move a due pending row to its final state; True for the one caller that did it."""
    return model.objects.filter(pk=pk, state="pending", due_at__lte=now).update(**done) == 1


def trigger_fire(*, trigger_id: int, now: datetime) -> bool:
    """A delayed trigger is due: run its version if it is still active and its conditions still hold."""
    with transaction.atomic():
        if not _claim(DelayedTrigger, trigger_id, now, state=DelayedTrigger.State.RAN):
            return False
        trigger = DelayedTrigger.objects.select_related("version__template").get(pk=trigger_id)
        version, ticket = trigger.version, ticket_for_run(trigger.ticket_id)
        if version.status != TemplateVersion.Status.ACTIVE:
            why = f"{version.label} is no longer active"
        elif not ticket.is_open:
            why = f"{ticket.reference} is {ticket.get_status_display().lower()}"
        elif not conditions_hold(version.conditions, ticket_facts(ticket, at=now, inbound=trigger.inbound)):
            why = "the conditions no longer hold"
        else:
            run = run_version(
                version, ticket, event=trigger.event, event_key=trigger.event_key, cause=tuple(trigger.cause)
            )
            trigger.outcome = f"ran: {run.get_result_display()}" if run else "this occurrence had already run"
            trigger.save(update_fields=["outcome"])
            return True
        trigger.state, trigger.outcome = DelayedTrigger.State.DROPPED, f"Not run: {why}."
        trigger.save(update_fields=["state", "outcome"])
    return True


def window_pass(*, window_id: int, now: datetime) -> bool:
    """A validation window is over: unsigned, the ticket goes to the window's owner (none named: up one tier)."""
    with transaction.atomic():
        if not _claim(ValidationWindow, window_id, now, state=ValidationWindow.State.PASSED, closed_at=now):
            return False
        window = ValidationWindow.objects.select_related("run__version__template", "owner").get(pk=window_id)
        ticket, label = ticket_for_run(window.ticket_id), window.run.version.label
        unsigned = [item.text for item in window.run.checklist.all() if item.signed_at is None]
        if not unsigned or not ticket.is_open:
            state = ValidationWindow.State.VALIDATED if not unsigned else ValidationWindow.State.CLOSED
            ValidationWindow.objects.filter(pk=window_id).update(state=state)
            return True
        reason = (
            f"Template {label}: validation window of {window.run.version.validation_window_minutes} min passed "
            f"without “{'; '.join(unsigned)}” signed"
        )
        token = event_cause.set((window.run.version.template_id,))
        try:
            with transaction.atomic():
                outcome = _hand_over(ticket, window.owner, reason)
        except STEP_FAILURES as error:
            why = " ".join(getattr(error, "messages", [str(error)]))
            outcome, window.state = f"refused: {why}", ValidationWindow.State.FAILED
        finally:
            event_cause.reset(token)
        window.outcome = outcome[:300]
        window.save(update_fields=["state", "outcome"])
        notify(
            ticket=ticket,
            subject=f"{ticket.reference}: validation window passed",
            body=f"{reason}: {outcome}.",
            recipients=[window.owner] if window.owner else managers_of(ticket),
            channels=("in_app", "email"),
        )
    return True


def _hand_over(ticket: Ticket, owner, reason: str) -> str:
    clock = clock_user()
    if owner is None:
        return _escalate_one_tier(ticket, clock, reason)
    name = owner.get_username()
    if ticket.escalation_owner_id == owner.pk:
        # Nothing to transfer: an internal note keeps the reason on the ticket's record.
        ticket_add_note(
            ticket=ticket, by=clock, visibility=TicketNote.Visibility.INTERNAL, body=f"{reason}: {name} alerted."
        )
        return f"{name}, already the escalation owner, alerted"
    ticket_transfer(
        ticket=ticket,
        by=clock,
        role=OwnershipTransfer.Role.ESCALATION,
        to_owner=owner,
        reason=reason,
        expected_response=HANDOVER_RESPONSE,
    )
    return f"handed to {name} as escalation owner"


def _escalate_one_tier(ticket: Ticket, clock, reason: str) -> str:
    above = ticket.tier.above()
    if above is None:
        raise ValidationError(f"{ticket.reference} is at the top tier: nobody to escalate to.")
    return "escalated " + escalate_as_template(ticket, to_tier=above, by=clock, reason=reason)


DUE = [(DelayedTrigger, trigger_fire, "trigger_id"), (ValidationWindow, window_pass, "window_id")]


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Act on every delayed trigger and validation window that is due; returns how many were acted on."""
    now = now or timezone.now()
    acted = 0
    for model, action, argument in DUE:
        due = model.objects.filter(state="pending", due_at__lte=now).order_by("due_at")
        for pk in due.values_list("pk", flat=True)[:limit]:
            try:
                acted += action(**{argument: pk}, now=now)
            except Exception:
                # One bad row must not stop the clock: it is logged and retried a minute later.
                logger.exception("Templates clock: %s failed for %s %s", action.__name__, model.__name__, pk)
                model.objects.filter(pk=pk, state="pending").update(due_at=now + RETRY_AFTER)
    return acted
