"""The templates' clock: triggers that wait N minutes after their event, and validation windows of their own."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from escalations import services as desk_services
from escalations.models import Escalation, Notification, Ticket
from escalations.services import clock as sla_clock
from templates_app import services
from templates_app.content import from_portable
from templates_app.models import ChecklistItem, DelayedTrigger, TemplateRun, ValidationWindow
from templates_app.services import clock
from templates_app.simulation import replay
from tests.templates.conftest import draft, live

pytestmark = pytest.mark.django_db

HIGH = {"groups": [{"rules": [{"field": "priority", "op": "eq", "value": "High"}]}]}
UNOWNED = {"groups": [{"rules": [{"field": "has_owner", "op": "eq", "value": "no"}]}]}
P3_ONLY = {"groups": [{"rules": [{"field": "severity", "op": "eq", "value": "P3"}]}]}
PAGE = [{"kind": "notify", "audience": "managers", "message": "Breached for 30 minutes"}]
VALIDATE = {"kind": "human", "text": "Data steward: validate the lead sync"}


def _breach(desk, capture, severity=None) -> Ticket:
    """Open a ticket and let the SLA clock mark its resolution breached, with that breach's events delivered."""
    ticket = desk.open_ticket(severity=severity or desk.p1)
    with time_machine.travel(ticket.first_response_due + timedelta(seconds=1), tick=False):
        sla_clock.sweep()  # the first-response breach comes first; its events are not delivered here
    with time_machine.travel(ticket.resolution_due + timedelta(seconds=1), tick=False), capture(execute=True):
        sla_clock.sweep()
    return Ticket.objects.get(pk=ticket.pk)


def _sweep_at(moment, capture=None) -> int:
    with time_machine.travel(moment, tick=False):
        if capture is None:
            return clock.sweep()
        with capture(execute=True):
            return clock.sweep()


def test_a_breach_runs_the_delayed_runbook_only_30_minutes_later(desk, django_capture_on_commit_callbacks):
    live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks)
    trigger = DelayedTrigger.objects.get(ticket=ticket)
    assert not TemplateRun.objects.exists()
    assert _sweep_at(trigger.due_at - timedelta(seconds=1)) == 0
    assert _sweep_at(trigger.due_at + timedelta(seconds=1)) == 1
    run = TemplateRun.objects.get(ticket=ticket)
    assert (run.event, run.event_key, run.result) == ("sla_breached", ticket.resolution_due.isoformat(), "done")
    assert Notification.objects.filter(ticket=ticket, subject__contains="Breached for 30 minutes").exists()
    trigger.refresh_from_db()
    assert (trigger.state, trigger.outcome) == ("ran", "ran: All steps done")


def test_a_due_trigger_runs_once_however_many_sweeps_claim_it(desk, django_capture_on_commit_callbacks):
    live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks)
    trigger = DelayedTrigger.objects.get(ticket=ticket)
    later = trigger.due_at + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert clock.trigger_fire(trigger_id=trigger.pk, now=later) is True
        assert clock.trigger_fire(trigger_id=trigger.pk, now=later) is False
        assert clock.sweep() == 0
    assert TemplateRun.objects.count() == 1


def test_a_delayed_trigger_is_dropped_when_its_conditions_no_longer_hold(desk, django_capture_on_commit_callbacks):
    live(desk, event="sla_breached", delay_minutes=30, conditions=UNOWNED, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks, severity=desk.p3)
    trigger = DelayedTrigger.objects.get(ticket=ticket)
    desk_services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    assert _sweep_at(trigger.due_at + timedelta(seconds=1)) == 1
    trigger.refresh_from_db()
    assert (trigger.state, trigger.outcome) == ("dropped", "Not run: the conditions no longer hold.")
    assert not TemplateRun.objects.exists()


def test_a_delayed_trigger_of_a_version_rolled_back_meanwhile_does_not_run(desk, django_capture_on_commit_callbacks):
    version = live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks)
    services.version_retire(version=version, by=desk.manager2, reason="Too noisy")
    _sweep_at(DelayedTrigger.objects.get(ticket=ticket).due_at + timedelta(seconds=1))
    assert DelayedTrigger.objects.get().outcome == "Not run: «High-value customer incident» v1 is no longer active."
    assert not TemplateRun.objects.exists()


def test_one_broken_trigger_is_retried_a_minute_later_and_does_not_stop_the_sweep(
    desk, django_capture_on_commit_callbacks, monkeypatch
):
    live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks)
    trigger = DelayedTrigger.objects.get(ticket=ticket)
    monkeypatch.setattr(clock, "run_version", lambda *args, **kwargs: 1 / 0)
    now = trigger.due_at + timedelta(seconds=1)
    assert _sweep_at(now) == 0
    trigger.refresh_from_db()
    assert (trigger.state, trigger.due_at) == ("pending", now + clock.RETRY_AFTER)


def test_simulation_of_a_delayed_version_counts_only_tickets_still_matching_after_the_delay(
    desk, django_capture_on_commit_callbacks
):
    version = live(desk, event="sla_breached", delay_minutes=30, conditions=UNOWNED, steps=PAGE)
    kept = _breach(desk, django_capture_on_commit_callbacks, severity=desk.p3)
    dropped = _breach(desk, django_capture_on_commit_callbacks, severity=desk.p3)
    with time_machine.travel(dropped.breached_at + timedelta(minutes=10), tick=False):
        desk_services.ticket_assign(ticket=dropped, by=desk.manager, owner=desk.l1_agent)
    later = DelayedTrigger.objects.order_by("due_at").last().due_at + timedelta(seconds=2)
    _sweep_at(later)
    simulated = replay(version, since=later - timedelta(days=1), until=later)
    breaches = {(ticket.pk, ticket.resolution_due.isoformat()) for ticket in (kept, dropped)}
    ran = set(TemplateRun.objects.values_list("ticket_id", "event_key"))
    assert {(match.ticket_id, match.key) for match in simulated.matches} & breaches == ran
    assert ran == {(kept.pk, kept.resolution_due.isoformat())}
    too_early = replay(version, since=later - timedelta(days=1), until=later - timedelta(minutes=31))
    assert not {(match.ticket_id, match.key) for match in too_early.matches} & breaches


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"delay_minutes": 7 * 24 * 60 + 1}, "Wait at most 10080 minutes"),
        ({"delay_minutes": "soon"}, "Delay minutes is a whole number of minutes"),
        ({"validation_window_minutes": 60}, "A validation window needs a human step"),
        ({"validation_owner_name": "oscar.outsider"}, "oscar.outsider does not work tickets"),
        (
            {"validation_window_minutes": 60, "steps": [VALIDATE], "validation_owner": "ghost"},
            "nobody is called “ghost”",
        ),
        ({"validation_owner": "maria.manager"}, "name its owner only with a window"),
    ],
)
def test_a_bad_delay_or_validation_window_is_refused_with_a_clear_message(desk, content, message):
    if "validation_owner_name" in content:
        content = {"validation_window_minutes": 60, "steps": [VALIDATE], "validation_owner": desk.outsider}
    content = from_portable(content)  # usernames to people, as YAML import does
    with pytest.raises(ValidationError, match=message):
        draft(desk, **content)


def test_a_sweep_with_nothing_due_costs_a_query_per_kind_of_row(desk, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert clock.sweep() == 0


@pytest.fixture
def validating(desk, django_capture_on_commit_callbacks):
    """A P3 ticket on which a version with a 12-hour validation window ran."""

    def make(**content):
        live(desk, conditions=P3_ONLY, steps=[VALIDATE], validation_window_minutes=720, **content)
        with django_capture_on_commit_callbacks(execute=True):
            ticket = desk.open_ticket(severity=desk.p3)
        return Ticket.objects.get(pk=ticket.pk), ValidationWindow.objects.get(ticket=ticket)

    return make


def test_a_validation_window_is_its_own_record_that_a_deadline_recompute_leaves_alone(desk, validating):
    _ticket, window = validating(validation_owner=desk.manager2)
    assert window.due_at == ChecklistItem.objects.get().due_at
    assert (window.owner, window.state) == (desk.manager2, "pending")
    desk.l1.resolution_target = timedelta(hours=48)
    desk.l1.save()
    sla_clock.deadlines_recompute(reason="the tier changed", tickets=Ticket.objects.all())
    window.refresh_from_db()
    assert (window.due_at, window.state) == (ChecklistItem.objects.get().due_at, "pending")


def test_an_unsigned_window_hands_the_ticket_to_its_owner_once_with_the_template_in_the_history(
    desk, validating, django_capture_on_commit_callbacks
):
    ticket, window = validating(validation_owner=desk.manager2)
    after = window.due_at + timedelta(seconds=1)
    assert _sweep_at(after, django_capture_on_commit_callbacks) == 1
    assert _sweep_at(after + timedelta(minutes=5)) == 0
    ticket.refresh_from_db()
    assert ticket.escalation_owner == desk.manager2
    change = ticket.history.get(history_change_reason__contains="validation window")
    assert change.history_change_reason.startswith(
        "Escalation owner → mateo.manager: Template «High-value customer incident» v1: validation window of 720 min "
        "passed without “Data steward: validate the lead sync” signed"
    )
    assert change.history_user.username == "sla-clock"
    window.refresh_from_db()
    assert (window.state, window.outcome) == ("passed", "handed to mateo.manager as escalation owner")
    assert Notification.objects.filter(recipient=desk.manager2, subject__contains="validation window passed").exists()


def test_an_unsigned_window_without_an_owner_escalates_one_tier(desk, django_capture_on_commit_callbacks):
    assign = {"kind": "assign", "role": "primary", "target": "person", "person": "alice.l1"}
    live(desk, conditions=P3_ONLY, steps=[assign, VALIDATE], validation_window_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk.open_ticket(severity=desk.p3)
    _sweep_at(ValidationWindow.objects.get().due_at + timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.tier == desk.l2
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.kind, escalation.by.username) == ("template", "sla-clock")
    assert ValidationWindow.objects.get().outcome == "escalated L1 → L2"


def test_a_window_whose_hand_over_is_refused_says_why_and_alerts_the_managers(desk, validating):
    _ticket, window = validating()  # a new ticket nobody took cannot be escalated
    _sweep_at(window.due_at + timedelta(seconds=1))
    window.refresh_from_db()
    assert window.state == "failed" and window.outcome.startswith("refused:")
    assert Notification.objects.filter(recipient=desk.manager, subject__contains="validation window passed").exists()


def test_signing_the_checklist_in_time_closes_the_window_and_nothing_happens(desk, validating):
    ticket, window = validating(validation_owner=desk.manager2)
    services.checklist_item_sign(item=ChecklistItem.objects.get(), by=desk.l1_agent, decision="Mapping fixed")
    window.refresh_from_db()
    assert window.state == "validated"
    assert _sweep_at(window.due_at + timedelta(seconds=1)) == 0
    assert Ticket.objects.get(pk=ticket.pk).escalation_owner is None


def test_the_ticket_page_says_when_a_waiting_runbook_will_run(client, desk, django_capture_on_commit_callbacks):
    live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = _breach(desk, django_capture_on_commit_callbacks)
    due = timezone.localtime(DelayedTrigger.objects.get(ticket=ticket).due_at)
    client.force_login(desk.manager)
    page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    assert f"waits: runs at <strong>{due:%a %-d %b, %H:%M}</strong> (30 min after “SLA breached”)" in page
    _sweep_at(due + timedelta(seconds=1))
    assert "waits: runs at" not in client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()


def test_a_window_whose_owner_already_is_the_escalation_owner_notes_the_reason_and_alerts_them(desk, validating):
    ticket, window = validating(validation_owner=desk.manager2)
    Ticket.objects.filter(pk=ticket.pk).update(escalation_owner=desk.manager2)
    _sweep_at(window.due_at + timedelta(seconds=1))
    window.refresh_from_db()
    assert window.outcome == "mateo.manager, already the escalation owner, alerted"
    note = ticket.notes.get()
    assert note.body.startswith("Template «High-value customer incident» v1: validation window of 720 min passed")
    assert Notification.objects.filter(recipient=desk.manager2, subject__contains="validation window passed").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between threads need a server database")
def test_two_template_clocks_sweeping_at_once_run_each_delayed_trigger_once(desk):
    live(desk, event="created", delay_minutes=1, conditions={}, steps=PAGE)
    tickets = [desk.open_ticket(severity=desk.p3) for _ in range(10)]  # committed: their events run at once
    assert DelayedTrigger.objects.filter(state="pending").count() == 10

    def sweep_and_close(_number: int) -> int:
        try:
            return clock.sweep()
        finally:
            connection.close()  # each thread has its own connection

    due = DelayedTrigger.objects.latest("due_at").due_at + timedelta(seconds=1)
    with time_machine.travel(due, tick=False), ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(sweep_and_close, range(2)))
    assert sum(results) == 10
    assert sorted(TemplateRun.objects.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
