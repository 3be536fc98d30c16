from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from escalations import services
from escalations.models import Ticket

pytestmark = pytest.mark.django_db


def _assigned_to_l1(desk) -> Ticket:
    ticket = desk.open_ticket()
    return services.ticket_assign(ticket=ticket, by=desk.l1_agent, owner=desk.l1_agent)


def _in_progress_at_l1(desk) -> Ticket:
    return services.ticket_acknowledge(ticket=_assigned_to_l1(desk), by=desk.l1_agent)


def test_it_opens_ordinary_tickets_at_the_lowest_tier_with_a_sup_reference(desk):
    ticket = desk.open_ticket()
    assert ticket.tier == desk.l1
    assert ticket.status == Ticket.Status.NEW
    assert ticket.reference == "SUP-10001"
    assert desk.open_ticket(title="Second").reference == "SUP-10002"


@pytest.mark.parametrize("code, level", [("p0", 3), ("p1", 3), ("p2", 2)])
def test_it_routes_severity_overrides_straight_to_their_tier(desk, code, level):
    ticket = desk.open_ticket(severity=getattr(desk, code))
    assert ticket.tier.level == level


def test_it_computes_deadlines_from_the_original_creation_time(desk):
    ticket = desk.open_ticket()
    assert ticket.first_response_due == ticket.created_at + timedelta(hours=4)
    assert ticket.resolution_due == ticket.created_at + timedelta(hours=24)


def test_it_walks_a_ticket_through_its_whole_life(desk):
    ticket = _in_progress_at_l1(desk)
    assert ticket.acknowledged_at is not None
    services.ticket_wait_on_customer(ticket=ticket, by=desk.l1_agent, reason="Asked for the IdP metadata")
    services.ticket_resume(ticket=ticket, by=desk.l1_agent)
    services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Certificate re-uploaded")
    services.ticket_close(ticket=ticket, by=desk.l1_agent)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.closed_at is not None


def test_it_keeps_the_sla_clock_when_a_ticket_is_reopened(desk):
    ticket = _in_progress_at_l1(desk)
    due_before = ticket.resolution_due
    services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
    services.ticket_reopen(ticket=ticket, by=desk.l1_agent, reason="Customer says it is back")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.resolution_due == due_before


def test_it_refuses_transitions_the_state_does_not_allow(desk):
    ticket = desk.open_ticket()
    with pytest.raises(ValidationError, match="you cannot resolve it now"):
        services.ticket_resolve(ticket=ticket, by=desk.manager, reason="Done")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_it_refuses_an_owner_from_another_tier(desk):
    ticket = desk.open_ticket()
    with pytest.raises(ValidationError, match="not an agent of"):
        services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l3_engineer)


@pytest.mark.parametrize("actor", ["l2_agent", "outsider", "admin"])
def test_it_refuses_people_outside_the_tier_working_a_ticket(desk, actor):
    ticket = _assigned_to_l1(desk)
    with pytest.raises(PermissionDenied):
        services.ticket_acknowledge(ticket=ticket, by=getattr(desk, actor))
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ASSIGNED


def test_it_lets_only_the_owner_acknowledge_a_personal_assignment(desk):
    ticket = _assigned_to_l1(desk)
    colleague = desk.l2_agent
    colleague.groups.add(desk.l1.team)
    with pytest.raises(PermissionDenied):
        services.ticket_acknowledge(ticket=ticket, by=type(colleague).objects.get(pk=colleague.pk))
    services.ticket_acknowledge(ticket=ticket, by=desk.manager)
    assert ticket.status == Ticket.Status.IN_PROGRESS


def test_it_refuses_outsiders_opening_tickets(desk):
    with pytest.raises(PermissionDenied):
        services.ticket_create(
            by=desk.outsider,
            title="x",
            description="y",
            account=desk.acme,
            category="bug",
            severity=desk.p3,
            requester="z",
        )


def test_it_records_who_and_why_in_the_history(desk):
    ticket = _in_progress_at_l1(desk)
    services.ticket_wait_on_customer(ticket=ticket, by=desk.l1_agent, reason="Asked for the IdP metadata")
    latest = ticket.history.latest()
    assert latest.history_user == desk.l1_agent
    assert latest.history_change_reason == "Asked for the IdP metadata"
    assert [h.status for h in ticket.history.order_by("history_id")] == [
        "new",
        "assigned",
        "in_progress",
        "waiting_on_customer",
    ]


def test_it_refuses_a_transition_on_a_stale_copy_and_changes_nothing(desk):
    ticket = _in_progress_at_l1(desk)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Fixed")
    history_rows = ticket.history.count()
    with pytest.raises(services.TicketConflict, match=r"changed since you opened it \(by alice\.l1"):
        desk.escalate(stale, by=desk.l1_agent)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.tier) == (Ticket.Status.RESOLVED, desk.l1)
    assert ticket.history.count() == history_rows


def test_it_protects_the_status_from_direct_assignment(desk):
    ticket = desk.open_ticket()
    with pytest.raises(AttributeError):
        ticket.status = Ticket.Status.CLOSED
