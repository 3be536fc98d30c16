"""The escalation decision, the note it requires, the ping-pong guard, transfers, notes and what is handed on."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from escalations import services
from escalations.domain import briefs, decisions
from escalations.models import BounceRefusal, Escalation, OwnershipTransfer, Ticket, TicketNote
from tests.conftest import CONTEXT_NOTE, FULL_NOTE

pytestmark = pytest.mark.django_db


def _decide(desk, ticket, met=(), is_manager=False):
    return decisions.escalation_decision(
        ticket=ticket, ladder=[desk.l1, desk.l2, desk.l3], criteria_met=met, is_manager=is_manager
    )


def test_the_decision_names_the_criteria_met(desk):
    ticket = desk.open_ticket()
    criteria = list(desk.l1.criteria.all())
    decision = _decide(desk, ticket, criteria)
    assert (decision.target, decision.kind, decision.allowed) == (desk.l2, Escalation.Kind.MANUAL, True)
    assert decision.statement == (
        "Escalate to L2 because “Resolution requires backend access”; “Customer requests escalation”."
    )


def test_without_a_criterion_only_a_manager_may_override(desk):
    ticket = desk.open_ticket()
    assert not _decide(desk, ticket).allowed
    assert "needs a manager override" in _decide(desk, ticket).statement
    override = _decide(desk, ticket, is_manager=True)
    assert (override.allowed, override.kind) == (True, Escalation.Kind.OVERRIDE)


def test_a_severity_route_above_the_ticket_leaps_the_ladder(desk):
    ticket = desk.open_ticket()
    ticket.severity = desk.p0  # a severity raised after opening, as the admin or a later step may do
    decision = _decide(desk, ticket)
    assert (decision.target, decision.kind, decision.allowed) == (desk.l3, Escalation.Kind.SEVERITY, True)


def test_the_top_tier_has_nowhere_to_escalate(desk):
    ticket = desk.open_ticket(severity=desk.p0)
    decision = _decide(desk, ticket)
    assert decision.target is None and "top tier" in decision.statement


def test_engineering_needs_the_full_handoff_and_lower_tiers_the_context(desk):
    ladder = [desk.l1, desk.l2, desk.l3]
    assert decisions.required_note_fields(desk.l2, ladder) == decisions.CONTEXT_FIELDS
    top = decisions.required_note_fields(desk.l3, ladder)
    assert set(decisions.ENGINEERING_HANDOFF_FIELDS) <= set(top)


def test_an_attachment_stands_in_for_pasted_logs():
    required = ("summary", "logs")
    assert decisions.missing_note_fields({"summary": "x", "logs": ""}, False, required) == ["logs"]
    assert decisions.missing_note_fields({"summary": "x", "logs": ""}, True, required) == []


def test_an_agent_escalates_with_criteria_and_a_note_in_one_record(desk):
    ticket = desk.working_at_l1()
    escalation = desk.escalate(ticket, by=desk.l1_agent, note=CONTEXT_NOTE, owner=desk.l2_agent)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status, ticket.primary_owner) == (desk.l2, Ticket.Status.ASSIGNED, desk.l2_agent)
    assert (escalation.from_tier, escalation.to_tier, escalation.kind) == (desk.l1, desk.l2, Escalation.Kind.MANUAL)
    assert [c.text for c in escalation.criteria.all()] == ["Resolution requires backend access"]
    assert escalation.note.steps_taken == CONTEXT_NOTE["steps_taken"]
    assert ticket.history.latest().history_change_reason.startswith("Escalate to L2 because")


def test_missing_note_fields_are_named_and_nothing_is_saved(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(ValidationError, match="missing: customer impact, steps already taken"):
        desk.escalate(ticket, by=desk.l1_agent, note={**CONTEXT_NOTE, "customer_impact": "", "steps_taken": []})
    assert (Ticket.objects.get(pk=ticket.pk).tier, Escalation.objects.count()) == (desk.l1, 0)


def test_escalating_to_engineering_requires_the_engineering_handoff(desk):
    ticket = desk.working_at_l1()
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    with pytest.raises(ValidationError, match="reproduction steps, expected behaviour"):
        desk.escalate(ticket, by=desk.l2_agent, note=CONTEXT_NOTE)
    escalation = desk.escalate(ticket, by=desk.l2_agent, note=FULL_NOTE)
    assert escalation.to_tier == desk.l3


def test_an_agent_without_a_criterion_is_refused_and_a_manager_overrides(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(ValidationError, match="needs a manager override"):
        desk.escalate(ticket, by=desk.l1_agent, criteria=[])
    escalation = desk.escalate(ticket, by=desk.manager, criteria=[], rationale="Customer is an exec sponsor")
    assert escalation.kind == Escalation.Kind.OVERRIDE


def test_criteria_of_another_tier_are_refused(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(ValidationError, match="Not an active criterion of L1"):
        desk.escalate(ticket, by=desk.l1_agent, criteria=list(desk.l2.criteria.all()))


def test_people_outside_the_tier_cannot_escalate(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(PermissionDenied):
        desk.escalate(ticket, by=desk.l2_agent)


def test_attachments_have_a_size_limit_and_a_type_allow_list(desk):
    ticket = desk.working_at_l1()
    with override_settings(ESCALATION_ATTACHMENT_MAX_BYTES=10), pytest.raises(ValidationError, match="at most"):
        desk.escalate(ticket, by=desk.l1_agent, attachments=[SimpleUploadedFile("big.log", b"x" * 11)])
    with pytest.raises(ValidationError, match="only these file types"):
        desk.escalate(ticket, by=desk.l1_agent, attachments=[SimpleUploadedFile("run.exe", b"MZ")])
    assert Escalation.objects.count() == 0


def test_it_deescalates_with_a_criterion_and_records_it(desk):
    ticket = desk.working_at_l1()
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    back = desk.deescalate(ticket, by=desk.l2_agent, to_tier=desk.l1, owner=desk.l1_agent)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status, ticket.primary_owner) == (desk.l1, Ticket.Status.ASSIGNED, desk.l1_agent)
    assert back.kind == Escalation.Kind.DEESCALATION and back.rationale.startswith("Fix deployed")


def test_deescalation_needs_a_lower_tier_and_a_known_criterion(desk):
    ticket = desk.working_at_l1()
    with pytest.raises(ValidationError, match="is at the lowest tier: there is no tier below it"):
        desk.deescalate(ticket, by=desk.l1_agent, to_tier=desk.l1)
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    with pytest.raises(ValidationError, match="goes down"):
        desk.deescalate(ticket, by=desk.l2_agent, to_tier=desk.l3)
    with pytest.raises(ValidationError, match="de-escalation criteria"):
        desk.deescalate(ticket, by=desk.l2_agent, to_tier=desk.l1, reason="Because I said so")


def test_the_ticket_page_offers_no_move_off_the_ends_of_the_ladder(client, desk):
    at_l1 = desk.working_at_l1()
    at_l3 = services.ticket_acknowledge(
        ticket=services.ticket_assign(
            ticket=desk.open_ticket(severity=desk.p0), by=desk.manager, owner=desk.l3_engineer
        ),
        by=desk.l3_engineer,
    )
    client.force_login(desk.manager)
    offered = {
        ticket.tier.label: [t.name for t in client.get(f"/tickets/{ticket.reference}/").context["transitions"]]
        for ticket in (at_l1, at_l3)
    }
    assert "escalate" in offered["L1"] and "deescalate" not in offered["L1"]
    assert "deescalate" in offered["L3"] and "escalate" not in offered["L3"]
    assert client.get(f"/tickets/{at_l1.reference}/deescalate/").status_code == 403


def _bounced_once(desk) -> Ticket:
    """L1 → L2 → L3, then back to L2: one bounce, which is allowed."""
    ticket = desk.working_at_l1()
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    desk.escalate(ticket, by=desk.l2_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l3_engineer)
    desk.deescalate(ticket, by=desk.l3_engineer, to_tier=desk.l2)
    return services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)


def test_the_ping_pong_guard_refuses_a_second_bounce_and_flags_a_manager(desk):
    ticket = _bounced_once(desk)
    with pytest.raises(services.PingPongRefused, match="would ping-pong"):
        desk.escalate(ticket, by=desk.l2_agent)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (desk.l2, Ticket.Status.IN_PROGRESS)
    assert ticket.flagged_at is not None and "Ping-pong refused" in ticket.flag_reason
    assert BounceRefusal.objects.get().to_tier == desk.l3


@override_settings(ESCALATION_MAX_BOUNCES=2)
def test_the_number_of_bounces_allowed_is_configurable(desk):
    ticket = _bounced_once(desk)
    assert desk.escalate(ticket, by=desk.l2_agent).to_tier == desk.l3


def test_a_manager_decides_past_the_guard_and_clears_the_flag(desk):
    ticket = _bounced_once(desk)
    with pytest.raises(services.PingPongRefused):
        desk.escalate(ticket, by=desk.l2_agent)
    ticket.refresh_from_db()
    desk.escalate(ticket, by=desk.manager)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.flagged_at) == (desk.l3, None)


def test_only_managers_clear_a_flag(desk):
    ticket = _bounced_once(desk)
    with pytest.raises(services.PingPongRefused):
        desk.escalate(ticket, by=desk.l2_agent)
    ticket.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.ticket_clear_flag(ticket=ticket, by=desk.l2_agent, reason="fine")
    services.ticket_clear_flag(ticket=ticket, by=desk.manager, reason="Agreed with L3 to keep it at L2")
    assert Ticket.objects.get(pk=ticket.pk).flagged_at is None


def test_a_primary_transfer_needs_the_new_owner_to_acknowledge(desk):
    ticket = desk.working_at_l1()
    colleague = desk.l2_agent
    colleague.groups.add(desk.l1.team)
    transfer = services.ticket_transfer(
        ticket=ticket,
        by=desk.l1_agent,
        role="primary",
        to_owner=colleague,
        reason="Going on leave",
        expected_response=timedelta(hours=1),
    )
    ticket.refresh_from_db()
    assert (ticket.primary_owner, ticket.status, ticket.first_responded_at is not None) == (
        colleague,
        Ticket.Status.ASSIGNED,
        True,
    )
    assert (transfer.from_owner, transfer.expected_response) == (desk.l1_agent, timedelta(hours=1))


def test_backup_and_escalation_owners_change_without_a_state_change(desk):
    ticket = desk.working_at_l1()
    services.ticket_transfer(
        ticket=ticket,
        by=desk.l1_agent,
        role="escalation",
        to_owner=desk.l3_engineer,
        reason="24/7 coverage",
        expected_response=timedelta(minutes=30),
    )
    ticket.refresh_from_db()
    assert (ticket.escalation_owner, ticket.status) == (desk.l3_engineer, Ticket.Status.IN_PROGRESS)
    assert OwnershipTransfer.objects.get().role == "escalation"


@pytest.mark.parametrize(
    "to_owner, reason, message",
    [
        ("l2_agent", "", "Say why"),
        ("l3_engineer", "Cover", "not an agent of"),
        ("l1_agent", "Cover", "is the primary owner"),
    ],
)
def test_a_transfer_needs_a_reason_a_tier_member_and_a_second_person(desk, to_owner, reason, message):
    ticket = desk.working_at_l1()
    with pytest.raises(ValidationError, match=message):
        services.ticket_transfer(
            ticket=ticket,
            by=desk.l1_agent,
            role="backup",
            to_owner=getattr(desk, to_owner),
            reason=reason,
            expected_response=timedelta(hours=1),
        )
    assert not OwnershipTransfer.objects.exists()


def test_a_public_reply_from_the_owning_tier_is_the_first_response(desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    services.ticket_add_note(ticket=ticket, by=desk.l2_agent, visibility="internal", body="Seen this before")
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None
    services.ticket_add_note(ticket=ticket, by=desk.l1_agent, visibility="public", body="We are on it")
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is not None
    assert TicketNote.objects.count() == 2


def test_the_handoff_brief_carries_everything_the_receiver_needs(desk):
    ticket = desk.working_at_l1()
    escalation = desk.escalate(ticket, by=desk.l1_agent)
    brief = briefs.handoff_brief(escalation)
    for expected in [
        "L1 → L2",
        "Acme Corp",
        "Resolution requires backend access",
        FULL_NOTE["summary"],
        "1. Verified IdP metadata",
        FULL_NOTE["suggested_next_step"],
        "Respond by",
    ]:
        assert expected in brief


def test_the_customer_draft_states_the_new_expected_response_time(desk):
    ticket = desk.working_at_l1()
    escalation = desk.escalate(ticket, by=desk.l1_agent)
    draft = briefs.customer_acknowledgement(escalation)
    respond_by = escalation.created_at + timedelta(hours=2)
    assert "within 2h" in draft
    assert respond_by.strftime("%H:%M") in draft
    assert "Specialist Support" in draft
