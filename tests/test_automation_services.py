"""The public services other apps (guided templates) change tickets through: permission, validation, audit."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from escalations import services
from escalations.models import Escalation, Ticket
from escalations.services.clock import clock_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(desk):
    return clock_user()


def _latest_change(ticket: Ticket):
    return ticket.history.select_related("history_user").order_by("-history_id").first()


def test_the_automation_escalates_as_an_escalation_of_kind_template(desk, clock):
    ticket = desk.working_at_l1()
    escalation = services.ticket_escalate_automated(ticket=ticket, by=clock, to_tier=desk.l3, reason="Template X v1")
    assert (escalation.kind, escalation.from_tier, escalation.to_tier) == ("template", desk.l1, desk.l3)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (desk.l3, Ticket.Status.ASSIGNED)
    change = _latest_change(ticket)
    assert (change.history_user, change.history_change_reason) == (clock, "Template X v1")


def test_it_refuses_an_escalation_without_criteria_to_a_person_even_a_manager(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(PermissionDenied, match="Only the desk's automation"):
        services.ticket_escalate_automated(ticket=ticket, by=desk.manager, to_tier=desk.l2, reason="Skip the criteria")
    assert not Escalation.objects.exists()


def test_it_refuses_an_automated_escalation_that_does_not_go_up_an_active_tier(desk, clock):
    ticket = desk.working_at_l1()
    desk.l3.is_active = False
    desk.l3.save()
    for tier in (desk.l1, desk.l3):
        with pytest.raises(ValidationError, match="pick an active tier above L1"):
            services.ticket_escalate_automated(ticket=ticket, by=clock, to_tier=tier, reason="Template X v1")
    assert not Escalation.objects.exists()


def test_an_agent_raises_the_severity_and_the_deadlines_still_run_from_creation(desk):
    ticket = desk.working_at_l1()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        services.ticket_set_severity(ticket=ticket, by=desk.l1_agent, severity=desk.p2, reason="More users affected")
    ticket.refresh_from_db()
    # No calendars: around the clock, so L1's 4 h first response and 24 h resolution count from creation.
    assert ticket.severity == desk.p2
    assert ticket.first_response_due == ticket.created_at + timedelta(hours=4)
    assert ticket.resolution_due == ticket.created_at + timedelta(hours=24)
    change = _latest_change(ticket)
    assert (change.history_user, change.history_change_reason) == (desk.l1_agent, "More users affected")
    assert change.prev_record.severity == desk.p3


def test_it_refuses_an_agent_lowering_the_severity_and_lets_a_manager(desk):
    ticket = desk.working_at_l1()
    services.ticket_set_severity(ticket=ticket, by=desk.l1_agent, severity=desk.p1, reason="Outage")
    with pytest.raises(PermissionDenied, match="Only a manager may lower"):
        services.ticket_set_severity(ticket=ticket, by=desk.l1_agent, severity=desk.p3, reason="False alarm")
    services.ticket_set_severity(ticket=ticket, by=desk.manager, severity=desk.p3, reason="False alarm")
    ticket.refresh_from_db()
    assert ticket.severity == desk.p3


def test_the_automation_may_lower_the_severity_for_a_template(desk, clock):
    ticket = desk.open_ticket(severity=desk.p2)
    services.ticket_set_severity(ticket=ticket, by=clock, severity=desk.p3, reason="Template X v1: Set severity P3")
    ticket.refresh_from_db()
    assert ticket.severity == desk.p3


@pytest.mark.parametrize("who", ["l2_agent", "outsider"])
def test_it_refuses_a_severity_change_by_someone_who_does_not_work_the_ticket(desk, who):
    ticket = desk.working_at_l1()
    with pytest.raises(PermissionDenied):
        services.ticket_set_severity(ticket=ticket, by=getattr(desk, who), severity=desk.p1, reason="Outage")
    ticket.refresh_from_db()
    assert ticket.severity == desk.p3


@pytest.mark.parametrize(
    ("severity", "reason", "message"),
    [("p3", "Again", "already is P3"), ("p1", "  ", "Say why you change the severity")],
)
def test_it_refuses_a_severity_change_that_changes_nothing_or_gives_no_reason(desk, severity, reason, message):
    ticket = desk.working_at_l1()
    changes = ticket.history.count()
    with pytest.raises(ValidationError, match=message):
        services.ticket_set_severity(ticket=ticket, by=desk.manager, severity=getattr(desk, severity), reason=reason)
    assert ticket.history.count() == changes


def test_it_refuses_to_reclassify_a_closed_ticket(desk):
    ticket = desk.working_at_l1()
    ticket = services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
    ticket = services.ticket_close(ticket=ticket, by=desk.l1_agent)
    with pytest.raises(ValidationError, match="is closed"):
        services.ticket_set_severity(ticket=ticket, by=desk.manager, severity=desk.p1, reason="Late report")


def test_a_title_prefix_is_added_once(desk, clock):
    ticket = desk.open_ticket()
    for _ in range(2):
        services.ticket_set_title_prefix(ticket=ticket, by=clock, prefix="[URGENT]", reason="Template X v1")
    ticket.refresh_from_db()
    assert ticket.title == "[URGENT] SSO login fails intermittently"
    assert ticket.history.filter(history_change_reason="Template X v1").count() == 1


def test_it_refuses_a_title_prefix_from_someone_who_does_not_work_the_ticket(desk):
    ticket = desk.open_ticket()
    with pytest.raises(PermissionDenied):
        services.ticket_set_title_prefix(ticket=ticket, by=desk.outsider, prefix="[LOL]", reason="Because")


def test_the_automation_sets_the_acknowledgement_deadline_of_an_assignment(desk, clock):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    due = ticket.assigned_at + timedelta(minutes=15)
    services.ticket_set_acknowledgement_deadline(ticket=ticket, by=clock, due=due, reason="Template X v1: 15 min")
    ticket.refresh_from_db()
    assert ticket.acknowledgement_due == due
    assert _latest_change(ticket).history_user == clock


def test_it_refuses_an_acknowledgement_deadline_from_a_person(desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    with pytest.raises(PermissionDenied):
        services.ticket_set_acknowledgement_deadline(
            ticket=ticket, by=desk.manager, due=ticket.assigned_at + timedelta(days=7), reason="Take your time"
        )


def test_it_refuses_an_acknowledgement_deadline_nobody_owes_or_before_the_assignment(desk, clock):
    working = desk.working_at_l1()
    with pytest.raises(ValidationError, match="awaits no acknowledgement"):
        services.ticket_set_acknowledgement_deadline(ticket=working, by=clock, due=timezone.now(), reason="Template")
    assigned = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    for due in (assigned.assigned_at - timedelta(minutes=1), assigned.assigned_at.replace(tzinfo=None)):
        with pytest.raises(ValidationError, match="after the assignment"):
            services.ticket_set_acknowledgement_deadline(ticket=assigned, by=clock, due=due, reason="Template")
