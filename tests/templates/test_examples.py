"""The seed's four example templates go live on the demo desk through four eyes, and handle their tickets."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from escalations import services as desk_services
from escalations.models import Account, Severity, Ticket
from templates_app import services
from templates_app.models import TemplateRun, TemplateVersion

pytestmark = pytest.mark.django_db
EXAMPLES = {
    "SLA breach runbook",
    "High-value customer incident escalation",
    "Lead routing failure",
    "Content publishing block",
}


@pytest.fixture
def demo(db):
    call_command("import_escalation_config", verbosity=0)
    call_command("seed_demo", verbosity=0)


def test_the_examples_are_live_signed_off_by_the_second_manager_and_loaded_once(demo):
    call_command("seed_templates")
    call_command("seed_templates")
    versions = TemplateVersion.objects.select_related("template", "author", "reviewed_by")
    assert {version.template.name for version in versions} == EXAMPLES
    assert {(v.status, v.author.username, v.reviewed_by.username) for v in versions} == {
        ("active", "manager", "manager2")
    }


def test_the_high_value_example_handles_a_critical_enterprise_ticket(demo, django_capture_on_commit_callbacks):
    call_command("seed_templates")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk_services.ticket_create(
            by=Ticket.objects.first().created_by,
            title="Checkout down",
            description="All payments fail",
            account=Account.objects.get(name="Acme Corp"),
            category="bug",
            severity=Severity.objects.get(code="P0"),
            requester="jane@acme.com",
        )
    run = TemplateRun.objects.get(ticket=ticket)
    assert (run.version.template.name, run.result, run.actions) == (
        "High-value customer incident escalation",
        "done",
        8,
    )
    ticket.refresh_from_db()
    assert {ticket.primary_owner.username, ticket.backup_owner.username} == {"engineer.l3", "oncall.l3"}
    assert ticket.escalation_owner.username == "manager2"


def test_the_lead_routing_example_runs_on_a_paid_campaign_rejection(demo, django_capture_on_commit_callbacks):
    call_command("seed_templates")
    ticket = Ticket.objects.filter(status="new", tier__level=1).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.inbound_event_record(ticket=ticket, by=ticket.created_by, name="lead_rejected", source="paid_campaign")
    assert TemplateRun.objects.get(ticket=ticket).version.template.name == "Lead routing failure"


def test_the_examples_need_the_demo_managers(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_templates")


def test_the_benchmark_command_times_a_simulation(demo, capsys):
    call_command("benchmark_templates", tickets=30, days=2, repeat=2)
    assert "median" in capsys.readouterr().out


def test_templates_round_trip_through_yaml_files_as_drafts(demo, tmp_path, capsys):
    call_command("seed_templates")
    capsys.readouterr()
    call_command("export_templates")
    exported = tmp_path / "templates.yaml"
    exported.write_text(capsys.readouterr().out)
    call_command("import_templates", str(exported), by="manager")
    drafts = TemplateVersion.objects.filter(status="draft")
    assert {draft.template.name for draft in drafts} == EXAMPLES and {d.number for d in drafts} == {2}
    assert all(draft.content() == draft.template.versions.get(number=1).content() for draft in drafts)
    runbook = drafts.get(template__name="SLA breach runbook")
    assert (runbook.event, runbook.delay_minutes) == ("sla_breached", 30)
    assert drafts.get(template__name="Lead routing failure").validation_owner.username == "manager2"


def test_an_import_by_an_agent_or_of_bad_yaml_is_refused(demo, tmp_path):
    document = tmp_path / "bad.yaml"
    document.write_text("templates: [{name: Broken, version: {event: created, steps: []}}]")
    with pytest.raises(CommandError, match="Only a manager"):
        call_command("import_templates", str(document), by="agent.l1")
    with pytest.raises(CommandError, match=r"templates\[0\]\.version\.steps: A version needs at least one step"):
        call_command("import_templates", str(document), by="manager")
