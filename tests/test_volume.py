"""seed_volume builds a realistic, consistent volume fast; benchmark_desk times the pages against it."""

import copy
from collections import Counter
from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django_fsm import TransitionNotAllowed

from devtools import volume
from devtools.volume import AGENT_NAME, MANAGER_NAME, events_ticket
from escalations import roles
from escalations.management import role_groups_sync
from escalations.models import BounceRefusal, Escalation, EscalationNote, OwnershipTransfer, Ticket, TicketNote

pytestmark = pytest.mark.django_db
History = Ticket.history.model

TICKETS = 300


def _seed(tickets: int = TICKETS, **options) -> str:
    out = StringIO()
    call_command("seed_volume", tickets=tickets, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def configured(db):
    role_groups_sync()  # what a migrate gives the role groups, whatever an earlier test left
    call_command("import_escalation_config", stdout=StringIO())


@pytest.fixture
def seeded(configured) -> str:
    return _seed()


def _history_by_ticket() -> dict[int, list]:
    rows: dict[int, list] = {}
    for row in History.objects.order_by("history_date", "history_id"):
        rows.setdefault(row.id, []).append(row)
    return rows


def test_it_refuses_to_seed_without_the_escalation_config():
    with pytest.raises(CommandError, match="import_escalation_config"):
        _seed(10)
    assert not Ticket.objects.exists()


def test_it_creates_the_tickets_asked_for_and_names_the_one_with_50_events(seeded):
    assert Ticket.objects.count() == TICKETS
    reference = events_ticket().reference
    assert f"Ticket with 50 timeline events: {reference}" in seeded
    assert "Seeded 300 tickets" in seeded


def test_it_numbers_tickets_uniquely_after_the_highest_and_reuses_its_people(seeded):
    people = get_user_model().objects.count()
    highest = max(Ticket.objects.values_list("number", flat=True))
    _seed(40, ticket_with_events=0)
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == TICKETS + 40
    assert numbers[:TICKETS] == list(range(10001, 10001 + TICKETS))
    assert numbers[TICKETS:] == list(range(highest + 1, highest + 41))
    assert get_user_model().objects.count() == people


def test_its_people_work_their_tier_and_cannot_sign_in_with_a_password(seeded):
    agent = get_user_model().objects.get(username=AGENT_NAME.format(level=2, index=1))
    manager = get_user_model().objects.get(username=MANAGER_NAME)
    ticket = Ticket.objects.filter(tier__level=2).select_related("tier").first()
    assert roles.works_tier(agent, ticket.tier)
    assert roles.is_manager(manager)
    assert not agent.has_usable_password() and not manager.has_usable_password()


def test_it_keeps_every_ticket_state_consistent(seeded):
    for ticket in Ticket.objects.select_related("tier", "severity"):
        assert ticket.first_response_due == ticket.created_at + ticket.tier.first_response_sla
        # the transitions' rule: a tier move never brings the resolution deadline forward, so it may be later
        assert ticket.resolution_due >= ticket.created_at + ticket.tier.resolution_target + ticket.paused_for
        assert ticket.escalation_due > ticket.created_at  # a snapshot: it depends on when the tier took the ticket
        stored = (ticket.first_response_due, ticket.resolution_due)
        if ticket.paused_at is None:  # a pause still running moves the deadlines with the clock
            recomputed = copy.copy(ticket)
            recomputed.compute_deadlines()
            assert recomputed.first_response_due == stored[0] and recomputed.resolution_due <= stored[1]
        assert (ticket.closed_at is not None) == (ticket.status == Ticket.Status.CLOSED)
        assert (ticket.resolved_at is not None) == (ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED))
        if ticket.status == Ticket.Status.NEW:
            assert ticket.primary_owner_id is None and ticket.assigned_at is None
        if ticket.status == Ticket.Status.ASSIGNED:
            assert ticket.acknowledged_at is None and ticket.acknowledgement_due is not None
        if ticket.status in (Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING_ON_CUSTOMER):
            assert ticket.acknowledged_at and ticket.first_responded_at and ticket.primary_owner_id
        if ticket.resolved_at and ticket.resolved_at > ticket.resolution_due:
            assert ticket.breached_at == ticket.resolution_due
        if ticket.closed_at:
            assert ticket.created_at <= ticket.first_responded_at <= ticket.resolved_at <= ticket.closed_at


def test_it_mixes_severities_states_and_escalations_like_a_real_desk(seeded):
    severities = Counter(Ticket.objects.values_list("severity__code", flat=True))
    assert severities.most_common(1)[0][0] == "P3"
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert statuses[Ticket.Status.CLOSED] > TICKETS / 2
    assert sum(statuses[status] for status in Ticket.OPEN_STATUSES) > 0
    escalated = Escalation.objects.exclude(kind=Escalation.Kind.DEESCALATION).values("ticket").distinct().count()
    assert 0.1 < escalated / TICKETS < 0.45
    assert OwnershipTransfer.objects.exists() and TicketNote.objects.exists()


def test_its_escalations_follow_the_ticket_up_and_down_the_ladder(seeded):
    history = _history_by_ticket()
    for ticket in Ticket.objects.filter(escalations__isnull=False).distinct().prefetch_related("escalations"):
        moves = sorted(ticket.escalations.all(), key=lambda escalation: (escalation.created_at, escalation.pk))
        assert moves[0].from_tier_id == history[ticket.pk][0].tier_id
        assert moves[-1].to_tier_id == ticket.tier_id
        for before, after in pairwise(moves):
            assert before.to_tier_id == after.from_tier_id
        for move in moves:
            down = move.kind == Escalation.Kind.DEESCALATION
            assert (move.to_tier.level < move.from_tier.level) == down
    manual = Escalation.objects.filter(kind=Escalation.Kind.MANUAL)
    assert manual.exists()
    assert EscalationNote.objects.count() == manual.count()


def test_it_cannot_seed_a_step_the_ticket_state_machine_refuses(configured, monkeypatch):
    """The seeder runs the transitions themselves: a new ticket cannot be closed, so no such ticket is written."""
    monkeypatch.setattr(volume, "plan_steps", lambda *args: ([("close", None)], [timedelta(hours=1)]))
    with pytest.raises(TransitionNotAllowed):
        _seed(5, ticket_with_events=0)
    assert not Ticket.objects.exists()


def test_it_writes_a_history_that_ends_in_the_tickets_state(seeded):
    history = _history_by_ticket()
    for ticket in Ticket.objects.all():
        rows = history[ticket.pk]
        assert [row.history_type for row in rows].count("+") == 1 and rows[0].history_type == "+"
        assert rows[0].status == Ticket.Status.NEW
        assert (rows[-1].status, rows[-1].tier_id, rows[-1].primary_owner_id) == (
            ticket.status,
            ticket.tier_id,
            ticket.primary_owner_id,
        )
        statuses = [row.status for row in rows]
        changes = sum(1 for before, after in pairwise(statuses) if before != after)
        assert len(rows) - 1 >= changes
        assert all(row.history_change_reason for row in rows)
        assert rows[0].history_user_id is not None


def test_the_benchmark_ticket_has_exactly_50_timeline_events(seeded):
    ticket = events_ticket()
    sources = [
        History.objects.filter(id=ticket.pk),
        Escalation.objects.filter(ticket=ticket),
        OwnershipTransfer.objects.filter(ticket=ticket),
        TicketNote.objects.filter(ticket=ticket),
        BounceRefusal.objects.filter(ticket=ticket),
    ]
    assert sum(source.count() for source in sources) == 50
    assert all(source.exists() for source in sources[:4])
    assert ticket.is_open


def test_benchmark_desk_times_the_pages_of_the_seeded_volume(configured):
    _seed(60)
    out = StringIO()
    roomy = ["queue_ms=60000", "ticket_ms=60000"]  # no wall-clock assert: only the query targets hold
    call_command("benchmark_desk", runs=1, warmup=0, target_overrides=roomy, stdout=out)
    table = out.getvalue()
    for page in ("queue · all open · manager", "queue · team · L1 agent", f"ticket {events_ticket().reference}"):
        assert page in table
    assert table.count("target met") == 4


def test_benchmark_desk_asks_for_a_seeded_volume_first(configured):
    with pytest.raises(CommandError, match="seed_volume"):
        call_command("benchmark_desk", runs=1, warmup=0, stdout=StringIO())


def test_benchmark_desk_refuses_sizes_that_are_not_numbers():
    with pytest.raises(CommandError, match="--sizes"):
        call_command("benchmark_desk", sizes="1k,100k", stdout=StringIO())
