"""Running the active versions whose trigger matches when something happens to a ticket.

Steps run through the desk's own services as the clock's system user, so permissions, validation and the
history are the same as when an agent acts; every history reason names the template and version.

Loops are impossible: while a version runs, `event_cause` carries its template, so the events its own actions
cause (on this ticket or on a ticket it opens) never run it again; and each ticket has a cap on automated
actions (TEMPLATE_MAX_ACTIONS_PER_TICKET), which stops any chain of different templates.
Matching is cheap: one query for the active versions of the event, one for the ticket when any is left.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from escalations.models import DeskEvent, OwnershipTransfer, Severity, Ticket, TicketNote, Tier
from escalations.services import (
    TicketConflict,
    ticket_add_note,
    ticket_assign,
    ticket_create,
    ticket_escalate_automated,
    ticket_set_acknowledgement_deadline,
    ticket_set_severity,
    ticket_set_title_prefix,
    ticket_transfer,
)
from escalations.services.clock import clock_user
from escalations.services.notifications import managers_of, notify
from escalations.signals import event_cause, event_scope
from templates_app.domain import targets
from templates_app.domain.conditions import conditions_hold
from templates_app.domain.facts import ticket_facts
from templates_app.domain.steps import ROLES, describe_step
from templates_app.models import (
    ChecklistItem,
    DelayedTrigger,
    TemplateRun,
    TemplateVersion,
    TicketRecord,
    ValidationWindow,
)
from templates_app.models.governance import Event

logger = logging.getLogger(__name__)
STEP_FAILURES = (ValidationError, PermissionDenied, TicketConflict)
SNAPSHOT_FIELDS = ("status", "title", "category", "primary_owner_id", "backup_owner_id", "escalation_owner_id")


def max_actions() -> int:
    return settings.TEMPLATE_MAX_ACTIONS_PER_TICKET


@dataclass
class Step:
    """One step being run: what it needs to act, and what it did."""

    run: TemplateRun
    ticket: Ticket
    by: object
    params: dict
    notifications: list[int] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return f"Template {self.run.version.label}: {describe_step(self.params)}"


def active_versions(event: str) -> list[TemplateVersion]:
    """The live versions of an event, read once for a burst of events handled together (escalations' event_scope)."""
    scope = event_scope.get()
    if scope is not None and ("active_versions", event) in scope:
        return scope["active_versions", event]
    active = TemplateVersion.objects.filter(status=TemplateVersion.Status.ACTIVE, event=event)
    related = ("template", "exception_runbook", "exception_remediation_owner", "validation_owner")
    versions = list(active.select_related(*related))
    if scope is not None:
        scope["active_versions", event] = versions
    return versions


def run_event(*, ticket_id: int, event: str, key: str = "", cause: tuple = (), inbound: dict | None = None) -> list:
    """Run every active version of `event` whose conditions hold for the ticket now; returns the runs."""
    versions = [version for version in active_versions(event) if version.template_id not in cause]
    if not versions:
        return []
    ticket = ticket_for_run(ticket_id)
    if ticket is None:
        return []
    facts = ticket_facts(ticket, at=timezone.now(), inbound=inbound)
    matched = [version for version in versions if conditions_hold(version.conditions, facts)]
    occurrence = {"event": event, "event_key": key[:64]}
    for version in matched:
        if version.delay_minutes:
            due = timezone.now() + timedelta(minutes=version.delay_minutes)
            _insert_once(
                DelayedTrigger,
                version=version,
                ticket=ticket,
                due_at=due,
                inbound=inbound,
                cause=list(cause),
                **occurrence,
            )
    runs = [run_version(version, ticket, cause=cause, **occurrence) for version in matched if not version.delay_minutes]
    return [run for run in runs if run is not None]


def ticket_for_run(ticket_id: int) -> Ticket | None:
    related = ("account", "severity", "tier", "primary_owner", "backup_owner", "escalation_owner")
    return Ticket.objects.select_related(*related).filter(pk=ticket_id).first()


def _insert_once(model, **fields):
    """The new row, or None when its unique constraint says this occurrence is already recorded."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        return None


def on_desk_event(event: DeskEvent) -> None:
    """The templates' consumer of desk events (escalations.services.outbox); run twice, it runs nothing twice."""
    inbound = event.details.get("inbound")
    run_event(ticket_id=event.ticket_id, event=event.event, key=event.key, cause=tuple(event.cause), inbound=inbound)


def run_version(
    version: TemplateVersion, ticket: Ticket, *, event: str, event_key: str, cause: tuple
) -> TemplateRun | None:
    """Run the version's steps in order; None when this occurrence of the event already ran it."""
    token = event_cause.set((*cause, version.template_id))
    try:
        with transaction.atomic():
            run = _insert_once(TemplateRun, version=version, ticket=ticket, event=event, event_key=event_key[:64])
            if run is None:
                return None
            _run_steps(run, ticket, clock_user(), cause)
            run.save()
            return run
    finally:
        event_cause.reset(token)


def _run_steps(run: TemplateRun, ticket: Ticket, clock, cause: tuple) -> None:
    done = TemplateRun.objects.filter(ticket=ticket).aggregate(total=Sum("actions"))["total"] or 0
    for params in run.version.steps:
        if done >= max_actions():
            _stop_at_cap(run, ticket)
            return
        step = Step(run, ticket, clock, params)
        try:
            with transaction.atomic():
                outcome = EXECUTORS[params["kind"]](step)
        except Exception as error:
            _fail(run, ticket, params, error)
            _take_exception_path(run, ticket, clock, cause)
            return
        run.steps_done.append(
            {
                "kind": params["kind"],
                "step": describe_step(params),
                "outcome": outcome,
                "notifications": step.notifications,
            }
        )
        run.actions += 1
        done += 1
    _apply_ownership_rules(run, ticket, clock)


def _fail(run: TemplateRun, ticket: Ticket, params: dict, error: Exception) -> None:
    """The step's savepoint is rolled back; the run records why and goes on to the exception path.

    A refusal by the desk (a rule, a permission, a conflict) reads as the desk wrote it; anything else is a
    fault, logged with its traceback, so that one broken step never loses the record of the run.
    """
    if isinstance(error, STEP_FAILURES):
        why = " ".join(getattr(error, "messages", [str(error)]))
    else:
        logger.exception("Template %s: step %s failed on %s", run.version, params["kind"], ticket.reference)
        why = "unexpected error (logged for the admins)"
    ticket.refresh_from_db()
    run.result = TemplateRun.Result.FAILED
    run.error = f"{describe_step(params)}: {why}"


def _stop_at_cap(run: TemplateRun, ticket: Ticket) -> None:
    """Routing loops end here: the run stops and the managers hear about it."""
    run.result = TemplateRun.Result.CAPPED
    run.error = f"{ticket.reference} reached its cap of {max_actions()} automated actions."
    notify(
        ticket=ticket,
        subject=f"{ticket.reference}: automated actions stopped",
        body=f"{run.error} Template {run.version.label} did not run its remaining steps; check the ticket.",
        recipients=managers_of(ticket),
        channels=("in_app",),
        webhooks=False,
    )


def _assign(step: Step) -> str:
    params, ticket, role = step.params, step.ticket, step.params["role"]
    # A backup or escalation owner picked from a team is someone other than the primary owner.
    exclude = frozenset() if role == "primary" else frozenset({ticket.primary_owner_id} - {None})
    person = targets.person_for(params, exclude=exclude)
    if person is None:
        raise ValidationError("nobody is available to assign.")
    if getattr(ticket, f"{role}_owner_id") == person.pk:
        return f"{person.get_username()} already is the {ROLES[role]}"
    if role == "primary" and ticket.status == Ticket.Status.NEW:
        ticket_assign(ticket=ticket, by=step.by, owner=person, reason=step.reason)
    else:
        timeout = timedelta(minutes=step.run.version.ack_timeout_minutes or 0) or ticket.acknowledgement_timeout
        ticket_transfer(
            ticket=ticket,
            by=step.by,
            role=OwnershipTransfer.Role(role),
            to_owner=person,
            reason=step.reason,
            expected_response=timeout,
        )
    return f"{ROLES[role].capitalize()}: {person.get_username()}"


def _escalate(step: Step) -> str:
    ticket, to_tier = step.ticket, targets.tier_at(step.params["tier"])
    if to_tier is None:
        raise ValidationError(f"there is no active tier L{step.params['tier']}.")
    if to_tier.level <= ticket.tier.level:
        return f"already at {ticket.tier.label}"
    return escalate_as_template(ticket, to_tier=to_tier, by=step.by, reason=step.reason)


def escalate_as_template(ticket: Ticket, *, to_tier: Tier, by, reason: str) -> str:
    """Up to `to_tier` as an escalation of kind "template"; says which way it went."""
    from_tier = ticket.tier
    ticket_escalate_automated(ticket=ticket, by=by, to_tier=to_tier, reason=reason)
    return f"{from_tier.label} → {to_tier.label}"


def _set_fields(step: Step) -> str:
    ticket, params = step.ticket, step.params
    if "severity" in params and ticket.severity.code != params["severity"]:
        severity = Severity.objects.get(code=params["severity"])
        ticket_set_severity(ticket=ticket, by=step.by, severity=severity, reason=step.reason)
    if "title_prefix" in params:
        ticket_set_title_prefix(ticket=ticket, by=step.by, prefix=params["title_prefix"], reason=step.reason)
    return f"severity {ticket.severity.code}, title “{ticket.title}”"


def _tell(step: Step, *, urgent: bool) -> str:
    ticket, params = step.ticket, step.params
    recipients = targets.audience_for(params, ticket)
    subject = f"{'PAGE ' if urgent else ''}{ticket.reference}: {params['message']}"
    body = f"{params['message']}\n\nSent by template {step.run.version.label} for {ticket.reference} {ticket.title}."
    sent = notify(
        ticket=ticket,
        subject=subject,
        body=body,
        recipients=recipients,
        webhooks=True,
        channels=("in_app", "email") if urgent else ("in_app",),
    )
    step.notifications = [notification.pk for notification in sent]
    names = ", ".join(person.get_username() for person in recipients) or "no one (webhooks only)"
    return f"{len(sent)} notification(s) to {names}"


def _create_ticket(step: Step) -> str:
    ticket, params = step.ticket, step.params
    linked = ticket_create(
        by=step.by,
        title=f"{params['title']} ({ticket.reference})"[:200],
        description=f"Opened by template {step.run.version.label} for {ticket.reference}: {ticket.title}",
        account=ticket.account,
        category=params.get("category", ticket.category),
        severity=ticket.severity,
        requester=ticket.requester,
    )
    TicketRecord.objects.create(
        run=step.run, ticket=ticket, kind=TicketRecord.Kind.INVESTIGATION, title=linked.title, linked_ticket=linked
    )
    return f"opened {linked.reference}"


def _snapshot(step: Step) -> str:
    ticket = step.ticket
    history = ticket.history.select_related("history_user").order_by("-history_date", "-history_id")
    recent = [
        {
            "at": record.history_date.isoformat(),
            "by": record.history_user.get_username() if record.history_user else "system",
            "what": record.history_change_reason or "",
        }
        for record in history[: step.params["history"]]
    ]
    state = {name: getattr(ticket, name) for name in SNAPSHOT_FIELDS} | {
        "tier": ticket.tier.label,
        "severity": ticket.severity.code,
        "resolution_due": ticket.resolution_due.isoformat(),
        "breached": ticket.breached_at is not None,
    }
    TicketRecord.objects.create(
        run=step.run,
        ticket=ticket,
        kind=TicketRecord.Kind.SNAPSHOT,
        title=f"{ticket.reference} at {timezone.localtime():%H:%M:%S}",
        data={"state": state, "recent": recent},
    )
    return f"state and {len(recent)} recent change(s) kept"


def _war_room(step: Step) -> str:
    ticket, params = step.ticket, step.params
    people = targets.audience_for(params, ticket)
    room = TicketRecord.objects.create(
        run=step.run,
        ticket=ticket,
        kind=TicketRecord.Kind.WAR_ROOM,
        title=f"War room for {ticket.reference}",
        link=params["link"],
    )
    room.participants.set(people)
    names = ", ".join(person.get_username() for person in people)
    ticket_add_note(
        ticket=ticket,
        by=step.by,
        visibility=TicketNote.Visibility.INTERNAL,
        body=f"War room opened by {step.run.version.label}: {params['link']}\nParticipants: {names}",
    )
    sent = notify(
        ticket=ticket,
        subject=f"{ticket.reference}: join the war room",
        body=params["link"],
        recipients=people,
        channels=("in_app",),
        webhooks=False,
    )
    step.notifications = [notification.pk for notification in sent]
    return f"{params['link']} with {names or 'nobody yet'}"


def _window(run: TemplateRun):
    """When the run's checklist is due: its validation window from the run's start."""
    minutes = run.version.validation_window_minutes
    return run.started_at + timedelta(minutes=minutes) if minutes else None


def _human(step: Step) -> str:
    ChecklistItem.objects.create(
        run=step.run,
        ticket=step.ticket,
        text=step.params["text"],
        guidance=step.params.get("guidance", ""),
        due_at=_window(step.run),
    )
    return "waiting for an agent to sign"


EXECUTORS = {
    "assign": _assign,
    "escalate": _escalate,
    "set_fields": _set_fields,
    "notify": lambda step: _tell(step, urgent=False),
    "page": lambda step: _tell(step, urgent=True),
    "create_ticket": _create_ticket,
    "snapshot": _snapshot,
    "war_room": _war_room,
    "human": _human,
}


def _apply_ownership_rules(run: TemplateRun, ticket: Ticket, clock) -> None:
    """The version's acknowledgement timeout becomes the ticket's acknowledgement deadline, which the SLA clock
    enforces (backup, then escalation owner); its validation window is a record of its own, which the templates'
    clock enforces (templates_app.services.clock), so no recompute of the ticket's deadlines can move it.
    """
    version = run.version
    if version.ack_timeout_minutes and ticket.status == Ticket.Status.ASSIGNED and ticket.assigned_at:
        due = ticket.assigned_at + timedelta(minutes=version.ack_timeout_minutes)
        if ticket.acknowledgement_due is None or due < ticket.acknowledgement_due:
            reason = f"Template {version.label}: acknowledge within {version.ack_timeout_minutes} min or fail over"
            ticket_set_acknowledgement_deadline(ticket=ticket, by=clock, due=due, reason=reason)
    window = _window(run)
    if window and ticket.is_open and run.checklist.exists():
        ValidationWindow.objects.create(run=run, ticket=ticket, due_at=window, owner=version.validation_owner)


def _take_exception_path(run: TemplateRun, ticket: Ticket, clock, cause: tuple) -> None:
    """Type A runs the named pre-approved runbook; type B opens human triage and a post-mortem record."""
    version = run.version
    if version.exception_type == TemplateVersion.ExceptionType.KNOWN:
        runbook = version.exception_runbook.versions.filter(status=TemplateVersion.Status.ACTIVE).first()
        if runbook is None:
            run.error += f" The runbook {version.exception_runbook.name} has no active version."
            return
        run_version(
            runbook, ticket, event=Event.EXCEPTION, event_key=f"run-{run.pk}", cause=(*cause, version.template_id)
        )
        run.error += f" Runbook {runbook.label} run."
    elif version.exception_type == TemplateVersion.ExceptionType.UNKNOWN:
        for text in version.exception_triage_steps:
            ChecklistItem.objects.create(
                run=run,
                ticket=ticket,
                text=f"Triage: {text}",
                guidance=f"Unknown exception in {version.label}: {run.error}",
            )
        owner = version.exception_remediation_owner
        TicketRecord.objects.create(
            run=run,
            ticket=ticket,
            kind=TicketRecord.Kind.POST_MORTEM,
            owner=owner,
            title=f"Post-mortem: {version.label} on {ticket.reference}",
            data={"failure": run.error, "required_evidence": version.exception_evidence},
        )
        notify(
            ticket=ticket,
            subject=f"{ticket.reference}: post-mortem assigned to you",
            body=run.error,
            recipients=[owner],
            channels=("in_app",),
            webhooks=False,
        )
