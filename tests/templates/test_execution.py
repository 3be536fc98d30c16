"""Active versions run when the desk's events happen: each step kind, the loop guards, the QA gate on close."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from escalations import services as desk_services
from escalations.models import Escalation, Notification, Ticket
from escalations.selectors.timeline import ticket_timeline
from escalations.services import clock
from escalations.services.outbox import record_ticket_events
from templates_app import services
from templates_app.models import ChecklistItem, TemplateRun, TicketRecord
from templates_app.services import execution
from templates_app.services.execution import run_event
from tests.templates.conftest import CRITICAL_ENTERPRISE, live

pytestmark = pytest.mark.django_db

P3_ONLY = {"groups": [{"rules": [{"field": "severity", "op": "eq", "value": "P3"}]}]}
HIGH_VALUE_STEPS = [
    {"kind": "assign", "role": "primary", "target": "oncall", "tier": 3},
    {"kind": "page", "audience": "oncall", "tier": 3, "message": "Enterprise P0: take it now"},
    {"kind": "notify", "audience": "managers", "message": "Enterprise P0 opened"},
    {"kind": "snapshot", "history": 5},
    {"kind": "war_room", "link": "https://meet.example/war-room", "audience": "owners"},
    {"kind": "create_ticket", "title": "Investigate recent changes"},
    {"kind": "human", "text": "Confirm the customer impact", "guidance": "Ask for affected users and regions"},
]


@pytest.fixture
def opened(desk, django_capture_on_commit_callbacks):
    """Open a ticket the way the desk does, with the after-commit events delivered."""

    def open_ticket(severity=None, **fields) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = desk.open_ticket(severity=severity, **fields)
        return Ticket.objects.get(pk=ticket.pk)

    return open_ticket


def test_a_matching_ticket_runs_every_step_through_the_desk_as_the_clock(desk, opened):
    version = live(desk, steps=HIGH_VALUE_STEPS)
    ticket = opened(desk.p0)
    run = TemplateRun.objects.get(ticket=ticket)
    assert (run.version, run.event, run.result, run.actions) == (version, "created", "done", 7)
    assert (ticket.primary_owner, ticket.status) == (desk.l3_engineer, "assigned")
    assignment = ticket.history.filter(history_change_reason__contains="Assign primary owner").get()
    assert assignment.history_user.username == clock.CLOCK_USERNAME
    assert assignment.history_change_reason.startswith("Template «High-value customer incident» v1")
    page = Notification.objects.filter(ticket=ticket, subject__startswith="PAGE", recipient=desk.l3_engineer)
    assert set(page.values_list("channel", flat=True)) == {"in_app", "email"}
    assert Notification.objects.filter(ticket=ticket, recipient=desk.manager2, subject__contains="opened").exists()
    kinds = set(TicketRecord.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == {"snapshot", "war_room", "investigation"}
    room = TicketRecord.objects.get(kind="war_room")
    assert list(room.participants.all()) == [desk.l3_engineer]
    linked = TicketRecord.objects.get(kind="investigation").linked_ticket
    assert linked.title == f"Investigate recent changes ({ticket.reference})" and linked.account == desk.acme
    assert ChecklistItem.objects.get(ticket=ticket).text == "Confirm the customer impact"
    assert any("Template «High-value customer incident» v1 ran" in entry.title for entry in ticket_timeline(ticket))


def test_a_ticket_that_does_not_match_runs_nothing(desk, opened):
    live(desk)
    opened(desk.p3)
    assert not TemplateRun.objects.exists()


def test_the_escalate_step_records_an_escalation_of_kind_template(desk, opened):
    assign = {"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"}
    live(desk, conditions=P3_ONLY, steps=[assign, {"kind": "escalate", "tier": 2}])
    ticket = opened(desk.p3)
    assert ticket.tier == desk.l2
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.kind, escalation.from_tier, escalation.by.username) == ("template", desk.l1, "sla-clock")


def test_set_fields_changes_the_severity_and_marks_the_title(desk, opened):
    live(desk, conditions=P3_ONLY, steps=[{"kind": "set_fields", "severity": "P2", "title_prefix": "[URGENT] "}])
    ticket = opened(desk.p3)
    assert (ticket.severity, ticket.title) == (desk.p2, "[URGENT] SSO login fails intermittently")
    by_the_template = ticket.history.filter(history_user__username=clock.CLOCK_USERNAME)
    reasons = set(by_the_template.values_list("history_change_reason", flat=True))
    assert reasons == {"Template «High-value customer incident» v1: Set severity P2 and title prefix “[URGENT]”"}


def test_backup_and_escalation_owners_are_assigned_by_transfer(desk, opened):
    steps = [
        {"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"},
        {"kind": "assign", "role": "escalation", "target": "person", "person": "mateo.manager"},
    ]
    live(desk, conditions=P3_ONLY, steps=steps)
    ticket = opened(desk.p3)
    assert (ticket.primary_owner, ticket.escalation_owner) == (desk.l1_agent, desk.manager2)
    assert ticket.transfers.get().reason.startswith("Template «High-value customer incident» v1")


def test_a_template_never_runs_on_the_ticket_it_opened_itself(desk, opened):
    live(desk, conditions={}, steps=[{"kind": "create_ticket", "title": "Follow up"}])
    opened(desk.p3)
    assert Ticket.objects.count() == 2
    assert TemplateRun.objects.count() == 1


def test_its_own_updates_do_not_run_a_template_again(desk, opened, django_capture_on_commit_callbacks):
    live(desk, event="updated", conditions=P3_ONLY, steps=[{"kind": "set_fields", "title_prefix": "[SEEN] "}])
    ticket = opened(desk.p3)
    with django_capture_on_commit_callbacks(execute=True):
        desk_services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    ticket.refresh_from_db()
    assert ticket.title.count("[SEEN]") == 1
    assert TemplateRun.objects.count() == 1


def test_the_cap_on_automated_actions_stops_a_run(desk, opened, settings):
    settings.TEMPLATE_MAX_ACTIONS_PER_TICKET = 2
    notify = {"kind": "notify", "audience": "managers", "message": "again"}
    live(desk, conditions=P3_ONLY, steps=[notify] * 3)
    run = TemplateRun.objects.get(ticket=opened(desk.p3))
    assert (run.result, run.actions) == ("capped", 2)
    assert "cap of 2 automated actions" in run.error
    assert Notification.objects.filter(recipient=desk.manager, subject__contains="automated actions stopped").exists()


def test_the_ticket_cannot_close_until_its_qa_checks_pass(desk, opened):
    steps = [{"kind": "human", "text": "Verify the fix with the customer"}]
    live(
        desk,
        conditions=P3_ONLY,
        steps=steps,
        qa_verification_signed=True,
        qa_expected_state=[{"field": "severity", "op": "eq", "value": "P3"}],
    )
    ticket = opened(desk.p3)
    ticket = desk_services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    ticket = desk_services.ticket_acknowledge(ticket=ticket, by=desk.l1_agent)
    ticket = desk_services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
    with pytest.raises(ValidationError, match="unsigned: Verify the fix with the customer"):
        desk_services.ticket_close(ticket=ticket, by=desk.l1_agent)
    item = ChecklistItem.objects.get()
    services.checklist_item_sign(item=item, by=desk.l1_agent, decision="Customer confirmed")
    ticket.refresh_from_db()
    assert desk_services.ticket_close(ticket=ticket, by=desk.l1_agent).status == "closed"


def test_a_checklist_item_is_signed_once_by_someone_who_works_the_ticket(desk, opened):
    live(desk, conditions=P3_ONLY, steps=[{"kind": "human", "text": "Check"}])
    opened(desk.p3)
    item = ChecklistItem.objects.get()
    with pytest.raises(Exception, match="Only someone working"):
        services.checklist_item_sign(item=item, by=desk.outsider, decision="ok")
    with pytest.raises(ValidationError, match="Write the decision"):
        services.checklist_item_sign(item=item, by=desk.l1_agent, decision=" ")
    services.checklist_item_sign(item=item, by=desk.l1_agent, decision="ok")
    with pytest.raises(ValidationError, match=r"already signed by alice\.l1"):
        services.checklist_item_sign(item=item, by=desk.manager, decision="again")


def test_the_acknowledgement_timeout_is_enforced_by_the_clock(desk, opened):
    steps = [
        {"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"},
        {"kind": "assign", "role": "backup", "target": "person", "person": "bob.l2"},
    ]
    desk.l2_agent.groups.add(desk.l1.team)
    live(desk, conditions=P3_ONLY, steps=steps, ack_timeout_minutes=5)
    ticket = opened(desk.p3)
    assert ticket.acknowledgement_due == ticket.assigned_at + timedelta(minutes=5)
    with time_machine.travel(ticket.acknowledgement_due + timedelta(seconds=1), tick=False):
        assert clock.sweep() >= 1
    ticket.refresh_from_db()
    assert ticket.primary_owner == desk.l2_agent


def test_a_failing_step_takes_the_type_b_exception_path(desk, opened):
    steps = [{"kind": "assign", "role": "primary", "target": "person", "person": "carol.l3"}]
    live(
        desk,
        conditions=P3_ONLY,
        steps=steps,
        exception_type="B",
        exception_triage_steps=["Find an owner by hand"],
        exception_evidence=["Who was on shift"],
        exception_remediation_owner=desk.manager,
    )
    ticket = opened(desk.p3)
    run = TemplateRun.objects.get()
    assert run.result == "failed" and "carol.l3 is not an agent of L1" in run.error
    post_mortem = TicketRecord.objects.get(kind="post_mortem")
    assert (post_mortem.owner, post_mortem.data["required_evidence"]) == (desk.manager, ["Who was on shift"])
    assert ChecklistItem.objects.get(ticket=ticket).text == "Triage: Find an owner by hand"


def test_a_failing_step_takes_the_type_a_exception_path_to_the_runbook(desk, opened):
    runbook = live(
        desk,
        name="Vendor outage runbook",
        event="exception",
        steps=[{"kind": "notify", "audience": "managers", "message": "Vendor outage"}],
    )
    live(
        desk,
        conditions=P3_ONLY,
        steps=[{"kind": "assign", "role": "primary", "target": "oncall", "tier": 3}],
        exception_type="A",
        exception_runbook=runbook.template,
    )
    ticket = opened(desk.p3)
    assert set(TemplateRun.objects.values_list("version__template__name", "result")) == {
        ("High-value customer incident", "failed"),
        ("Vendor outage runbook", "done"),
    }
    assert Notification.objects.filter(ticket=ticket, subject__contains="Vendor outage").exists()


def test_an_sla_breach_runs_the_templates_of_that_event(desk, django_capture_on_commit_callbacks):
    live(
        desk,
        event="sla_breached",
        conditions={},
        steps=[{"kind": "notify", "audience": "managers", "message": "Breached"}],
    )
    ticket = desk.open_ticket(severity=desk.p3)
    with (
        time_machine.travel(ticket.resolution_due + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        clock.sweep()
    assert set(TemplateRun.objects.filter(ticket=ticket).values_list("event", flat=True)) == {"sla_breached"}


def test_an_inbound_event_runs_the_templates_that_match_it(desk, django_capture_on_commit_callbacks):
    lead = {
        "groups": [
            {
                "rules": [
                    {"field": "event_name", "op": "eq", "value": "lead_rejected"},
                    {"field": "event_source", "op": "eq", "value": "paid_campaign"},
                ]
            }
        ]
    }
    live(desk, event="inbound", conditions=lead, steps=[{"kind": "notify", "audience": "managers", "message": "Lead"}])
    ticket = desk.open_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.inbound_event_record(ticket=ticket, by=desk.l1_agent, name="lead_rejected", source="organic")
        services.inbound_event_record(ticket=ticket, by=desk.l1_agent, name="lead_rejected", source="paid_campaign")
    assert TemplateRun.objects.get().event == "inbound"


def test_matching_fifty_active_templates_costs_two_queries(desk, django_assert_max_num_queries):
    for number in range(50):
        live(desk, name=f"Template {number}", conditions=CRITICAL_ENTERPRISE)
    ticket = desk.open_ticket(severity=desk.p3)
    with django_assert_max_num_queries(2):
        assert run_event(ticket_id=ticket.pk, event="created") == []


def test_a_burst_of_clock_events_reads_the_active_templates_once_per_event(
    desk, django_capture_on_commit_callbacks, django_assert_num_queries
):
    live(desk, event="sla_breached", conditions=CRITICAL_ENTERPRISE)
    tickets = [desk.open_ticket(severity=desk.p3) for _ in range(5)]
    events = [(ticket, event, f"key-{ticket.pk}") for ticket in tickets for event in ("sla_breached", "ack_timeout")]
    with django_capture_on_commit_callbacks() as after_commit:
        record_ticket_events(events)
    # one read of each event's active versions, one ticket per breach to check the conditions, which do not hold,
    # and the drain's three: the events' receipts read, claimed, marked done
    with django_assert_num_queries(2 + len(tickets) + 3):
        after_commit[0]()
    assert not TemplateRun.objects.exists()


def test_a_late_acknowledgement_fails_the_qa_check_unless_the_clock_failed_over(desk, opened):
    steps = [{"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"}]
    live(desk, conditions=P3_ONLY, steps=steps, qa_ack_within_minutes=5)
    ticket = opened(desk.p3)
    with time_machine.travel(ticket.assigned_at + timedelta(minutes=10), tick=False):
        ticket = desk_services.ticket_acknowledge(ticket=ticket, by=desk.l1_agent)
        ticket = desk_services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
        with pytest.raises(ValidationError, match="acknowledged after 10 min and nothing failed over"):
            desk_services.ticket_close(ticket=ticket, by=desk.l1_agent)


def test_an_acknowledgement_in_time_passes_the_qa_check(desk, opened):
    steps = [{"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"}]
    live(desk, conditions=P3_ONLY, steps=steps, qa_ack_within_minutes=5, qa_notifications_delivered=True)
    ticket = desk_services.ticket_acknowledge(ticket=opened(desk.p3), by=desk.l1_agent)
    ticket = desk_services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
    assert desk_services.ticket_close(ticket=ticket, by=desk.l1_agent).status == "closed"


@pytest.mark.parametrize("event", ["sla_at_risk", "ack_timeout"])
def test_the_clocks_other_actions_run_the_templates_of_their_event(desk, django_capture_on_commit_callbacks, event):
    live(desk, event=event, conditions={}, steps=[{"kind": "notify", "audience": "managers", "message": "Clock"}])
    ticket = desk_services.ticket_assign(
        ticket=desk.open_ticket(severity=desk.p3), by=desk.manager, owner=desk.l1_agent
    )
    due = ticket.escalation_due if event == "sla_at_risk" else ticket.acknowledgement_due
    with time_machine.travel(due + timedelta(seconds=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        clock.sweep()
    run = TemplateRun.objects.get(ticket=ticket, event=event)
    assert run.event_key == due.isoformat()


def test_an_unexpected_fault_in_a_step_is_recorded_and_the_run_kept(desk, opened, monkeypatch):
    def broken(step):
        raise RuntimeError("boom")

    monkeypatch.setitem(execution.EXECUTORS, "snapshot", broken)
    live(desk, conditions=P3_ONLY, steps=[{"kind": "snapshot", "history": 5}])
    opened(desk.p3)
    run = TemplateRun.objects.get()
    assert (run.result, run.error) == (
        "failed",
        "Snapshot the ticket and its last 5 changes: unexpected error (logged for the admins)",
    )
