"""Queries behind the template pages, the ticket page's template panel and the ticket timeline."""

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse

from escalations import roles
from escalations.models import EscalationCriterion, Severity, Ticket, Tier
from escalations.selectors.entries import TimelineEntry
from escalations.selectors.timeline import ticket_records
from templates_app.domain.qa import runs_with_checks, ticket_runs
from templates_app.models import ChecklistItem, DelayedTrigger, Template, TemplateRun, TemplateVersion

Status = TemplateVersion.Status


def escalation_ladder() -> QuerySet[Tier]:
    """Active tiers in order, each with its active criteria and the severities routed straight to it."""
    return (
        Tier.objects.filter(is_active=True)
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "criteria", queryset=EscalationCriterion.objects.filter(is_active=True), to_attr="active_criteria"
            ),
            Prefetch("routed_severities", queryset=Severity.objects.order_by("code"), to_attr="overrides"),
        )
    )


def severities() -> QuerySet[Severity]:
    return Severity.objects.select_related("route_to")


def template_list() -> QuerySet[Template]:
    """Every template with its versions (newest first) and how often it ran."""
    versions = TemplateVersion.objects.select_related("author").order_by("-number")
    return Template.objects.prefetch_related(Prefetch("versions", queryset=versions)).annotate(
        runs=Count("versions__runs")
    )


def version_detail(pk: int) -> TemplateVersion | None:
    return (
        TemplateVersion.objects.select_related(
            "template",
            "author",
            "submitted_by",
            "reviewed_by",
            "exception_runbook",
            "exception_remediation_owner",
            "validation_owner",
        )
        .filter(pk=pk)
        .first()
    )


def template_versions(template: Template) -> QuerySet[TemplateVersion]:
    return template.versions.select_related("author", "reviewed_by").order_by("-number")


def version_history(version: TemplateVersion) -> QuerySet:
    return version.history.select_related("history_user").order_by("-history_date", "-history_id")


def recent_runs(version: TemplateVersion, limit: int = 20) -> QuerySet[TemplateRun]:
    return version.runs.select_related("ticket").order_by("-started_at")[:limit]


def _page_runs(ticket: Ticket) -> list[TemplateRun]:
    """The ticket's runs with their checklists, read once for both the panel and the timeline of one page."""
    if not hasattr(ticket, "_page_template_runs"):
        ticket._page_template_runs = ticket_runs(ticket)
    return ticket._page_template_runs


def ticket_panel(ticket: Ticket, user) -> dict:
    """What the templates left on a ticket: runs with their QA checks, the checklist, the records, the
    delayed triggers still waiting, and whether the reader may record an inbound event on it.

    Checklist items and records are left by runs, so a ticket no template ran on costs two queries: its runs and
    its waiting triggers.
    """
    runs = runs_with_checks(ticket, _page_runs(ticket), ticket_records(ticket))
    records = ticket.template_records.select_related("linked_ticket", "owner").prefetch_related("participants")
    waiting = ticket.delayed_triggers.filter(state=DelayedTrigger.State.PENDING).select_related("version__template")
    return {
        "waiting": list(waiting),
        "runs": runs,
        "checklist": [item for run, _checks in runs for item in run.checklist.all()],
        "windows": [window for run, _checks in runs if (window := getattr(run, "validation_window", None))],
        "records": list(records) if runs else [],
        "may_record": roles.can_work_ticket(ticket, user),
    }


def timeline_entries(ticket: Ticket) -> list[TimelineEntry]:
    """The template runs and signed checklist items on the ticket's timeline, from the page's runs."""
    runs = _page_runs(ticket)
    signed = [item for run in runs for item in run.checklist.all() if item.signed_at]
    return [_run_entry(run) for run in runs] + [_signed_entry(item) for item in signed]


def _run_entry(run: TemplateRun) -> TimelineEntry:
    steps = "\n".join(f"• {step['step']} → {step['outcome']}" for step in run.steps_done)
    return TimelineEntry(
        at=run.started_at,
        actor="template",
        kind="template",
        title=f"Template {run.version.label} ran on “{run.get_event_display()}”: {run.get_result_display()}",
        body="\n".join(part for part in (steps, run.error) if part),
        link=reverse("templates_app:version", args=[run.version_id]),
    )


def _signed_entry(item: ChecklistItem) -> TimelineEntry:
    return TimelineEntry(
        at=item.signed_at,
        actor=item.signed_by.get_username(),
        kind="template",
        title=f"Checklist signed: {item.text}",
        body=item.decision,
    )
