"""The QA checks of the templates that ran on a ticket, and the gate that keeps it open until they pass."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone

from escalations.models import Notification, SlaEvent, Ticket
from templates_app.conditions import describe_rule, rule_holds
from templates_app.facts import ticket_facts
from templates_app.models import ChecklistItem, TemplateRun


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def _acknowledged(ticket: Ticket, run: TemplateRun, minutes: int) -> Check:
    first = (
        ticket.history.filter(history_date__gte=run.started_at, acknowledged_at__isnull=False)
        .order_by("history_date")
        .values_list("acknowledged_at", flat=True)
        .first()
    )
    name = f"Acknowledged within {minutes} min"
    if first is None:
        return Check(name, False, "not acknowledged yet")
    took = first - run.started_at
    late = f"acknowledged after {int(took.total_seconds() // 60)} min"
    if took <= timedelta(minutes=minutes):
        return Check(name, True, late)
    failed_over = ticket.sla_events.filter(kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT, acted_at__gte=run.started_at)
    if failed_over.filter(acted_at__lte=first).exists():
        return Check(name, True, f"{late}, after the clock failed over")
    return Check(name, False, f"{late} and nothing failed over")


def _state(ticket: Ticket, rules: list[dict]) -> Check:
    facts = ticket_facts(ticket, at=timezone.now())
    wrong = [describe_rule(rule) for rule in rules if not rule_holds(rule, facts)]
    return Check("State consistency", not wrong, "mismatch: " + "; ".join(wrong) if wrong else "fields as expected")


def _delivered(run: TemplateRun) -> Check:
    ids = [pk for step in run.steps_done for pk in step.get("notifications", [])]
    pending = Notification.objects.filter(pk__in=ids).exclude(status=Notification.Status.DELIVERED).count()
    return Check(
        "Notifications delivered", not pending, f"{pending} not delivered" if pending else f"{len(ids)} delivered"
    )


def _signed(run: TemplateRun) -> Check:
    open_items = [item.text for item in run.checklist.all() if item.signed_at is None]
    detail = "unsigned: " + "; ".join(open_items) if open_items else "every checklist item signed"
    return Check("Post-escalation verification", not open_items, detail)


def run_checks(run: TemplateRun, ticket: Ticket) -> list[Check]:
    version = run.version
    checks = []
    if version.qa_ack_within_minutes:
        checks.append(_acknowledged(ticket, run, version.qa_ack_within_minutes))
    if version.qa_expected_state:
        checks.append(_state(ticket, version.qa_expected_state))
    if version.qa_notifications_delivered:
        checks.append(_delivered(run))
    if version.qa_verification_signed:
        checks.append(_signed(run))
    return checks


def ticket_runs(ticket: Ticket):
    return ticket.template_runs.select_related("version__template").prefetch_related(
        Prefetch("checklist", queryset=ChecklistItem.objects.order_by("pk"))
    )


def failed_checks(ticket: Ticket) -> list[str]:
    return [
        f"{run.version.label}: {check.name} ({check.detail})"
        for run in ticket_runs(ticket)
        for check in run_checks(run, ticket)
        if not check.passed
    ]


def refuse_close_until_qa_passes(sender, *, ticket: Ticket, **kwargs) -> None:
    """The receiver of escalations.signals.ticket_closing (seed: "close only after QA pass")."""
    if failed := failed_checks(ticket):
        raise ValidationError(f"{ticket.reference} cannot close until its QA checks pass: " + " · ".join(failed))
