"""The QA checks of the templates that ran on a ticket, and the gate that keeps it open until they pass.

What the checks need is what the desk recorded on the ticket (escalations.selectors.timeline.TicketRecords):
on the ticket page the timeline has read it already, so the checks cost no query of their own there.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone

from escalations.models import Notification, SlaEvent, Ticket
from escalations.selectors.timeline import TicketRecords, load_ticket_records
from templates_app.domain.conditions import describe_rule, rule_holds
from templates_app.domain.facts import ticket_facts
from templates_app.models import ChecklistItem, TemplateRun


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Evidence:
    """What happened on the ticket that the checks look at."""

    acknowledgements: list[tuple[datetime, datetime]]  # (saved at, acknowledged at), oldest first
    failovers: list[datetime]
    undelivered: set[int]
    facts: dict


def _notification_ids(run: TemplateRun) -> list[int]:
    return [pk for step in run.steps_done for pk in step.get("notifications", [])]


def gather_evidence(ticket: Ticket, runs: list[TemplateRun], records: TicketRecords) -> Evidence:
    """From what the desk recorded on the ticket: the ticket page's timeline has read it already."""
    sent = {pk for run in runs for pk in _notification_ids(run)}
    return Evidence(
        acknowledgements=[(row.history_date, row.acknowledged_at) for row in records.history if row.acknowledged_at],
        failovers=[
            event.acted_at for event in records.sla_events if event.kind == SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT
        ],
        undelivered={
            row.pk for row in records.notifications if row.pk in sent and row.status != Notification.Status.DELIVERED
        },
        facts=ticket_facts(ticket, at=timezone.now()),
    )


def _acknowledged(run: TemplateRun, minutes: int, evidence: Evidence) -> Check:
    name = f"Acknowledged within {minutes} min"
    first = next((at for saved, at in evidence.acknowledgements if saved >= run.started_at), None)
    if first is None:
        return Check(name, False, "not acknowledged yet")
    took = first - run.started_at
    late = f"acknowledged after {int(took.total_seconds() // 60)} min"
    if took <= timedelta(minutes=minutes):
        return Check(name, True, late)
    if any(run.started_at <= failover <= first for failover in evidence.failovers):
        return Check(name, True, f"{late}, after the clock failed over")
    return Check(name, False, f"{late} and nothing failed over")


def _state(rules: list[dict], evidence: Evidence) -> Check:
    wrong = [describe_rule(rule) for rule in rules if not rule_holds(rule, evidence.facts)]
    return Check("State consistency", not wrong, "mismatch: " + "; ".join(wrong) if wrong else "fields as expected")


def _delivered(run: TemplateRun, evidence: Evidence) -> Check:
    ids = _notification_ids(run)
    pending = len(evidence.undelivered.intersection(ids))
    detail = f"{pending} not delivered" if pending else f"{len(ids)} delivered"
    return Check("Notifications delivered", not pending, detail)


def _signed(run: TemplateRun) -> Check:
    open_items = [item.text for item in run.checklist.all() if item.signed_at is None]
    detail = "unsigned: " + "; ".join(open_items) if open_items else "every checklist item signed"
    return Check("Post-escalation verification", not open_items, detail)


def run_checks(run: TemplateRun, evidence: Evidence) -> list[Check]:
    version = run.version
    checks = []
    if version.qa_ack_within_minutes:
        checks.append(_acknowledged(run, version.qa_ack_within_minutes, evidence))
    if version.qa_expected_state:
        checks.append(_state(version.qa_expected_state, evidence))
    if version.qa_notifications_delivered:
        checks.append(_delivered(run, evidence))
    if version.qa_verification_signed:
        checks.append(_signed(run))
    return checks


def ticket_runs(ticket: Ticket) -> list[TemplateRun]:
    checklist = ChecklistItem.objects.select_related("signed_by").order_by("pk")
    runs = ticket.template_runs.select_related("version__template", "validation_window__owner")
    return list(runs.prefetch_related(Prefetch("checklist", queryset=checklist)))


def runs_with_checks(
    ticket: Ticket, runs: list[TemplateRun], records: TicketRecords | None = None
) -> list[tuple[TemplateRun, list[Check]]]:
    """Each run with its checks; the ticket page passes the records its timeline read, a close reads them fresh."""
    if not runs:
        return []
    evidence = gather_evidence(ticket, runs, records or load_ticket_records(ticket))
    return [(run, run_checks(run, evidence)) for run in runs]


def refuse_close_until_qa_passes(sender, *, ticket: Ticket, **kwargs) -> None:
    """The receiver of escalations.signals.ticket_closing (seed: "close only after QA pass")."""
    failed = [
        f"{run.version.label}: {check.name} ({check.detail})"
        for run, checks in runs_with_checks(ticket, ticket_runs(ticket))
        for check in checks
        if not check.passed
    ]
    if failed:
        raise ValidationError(f"{ticket.reference} cannot close until its QA checks pass: " + " · ".join(failed))
