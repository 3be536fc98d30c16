"""Simulation replays stored tickets through a version, read-only, and agrees with what live execution did."""

from datetime import timedelta

import pytest
import time_machine

from escalations import services as desk_services
from escalations.models import Account, Ticket
from escalations.services import clock
from templates_app import services
from templates_app.models import TemplateRun
from templates_app.simulation import replay, simulate
from tests.templates.conftest import live

pytestmark = pytest.mark.django_db
STEPS = [
    {"kind": "assign", "role": "primary", "target": "oncall", "tier": 3},
    {"kind": "notify", "audience": "managers", "message": "Enterprise P0"},
]


@pytest.fixture
def small_account(desk):
    return Account.objects.create(name="Initech", tier=Account.AccountTier.STANDARD)


def _open_mix(desk, small_account, capture) -> list[Ticket]:
    with capture(execute=True):
        return [
            desk.open_ticket(severity=severity, account=account)
            for severity in (desk.p0, desk.p1, desk.p2, desk.p3)
            for account in (desk.acme, small_account)
        ]


def _window():
    now = Ticket.objects.latest("created_at").created_at + timedelta(minutes=1)
    return {"since": now - timedelta(days=1), "until": now}


def test_simulation_matches_the_tickets_live_execution_ran_on_with_the_same_steps(
    desk, small_account, django_capture_on_commit_callbacks
):
    version = live(desk, steps=STEPS)
    _open_mix(desk, small_account, django_capture_on_commit_callbacks)
    runs = list(TemplateRun.objects.all())
    simulated = replay(version, **_window())
    assert {(m.ticket_id, m.key) for m in simulated.matches} == {(r.ticket_id, r.event_key) for r in runs}
    assert len(runs) == 2  # P0 and P1 of the enterprise account
    assert all([step["step"] for step in run.steps_done] == simulated.plan for run in runs)


def test_simulation_of_an_update_trigger_equals_live_execution(desk, small_account, django_capture_on_commit_callbacks):
    urgent = {
        "groups": [
            {
                "rules": [
                    {"field": "has_owner", "op": "eq", "value": "yes"},
                    {"field": "account_tier", "op": "eq", "value": "enterprise"},
                ]
            }
        ]
    }
    version = live(desk, event="updated", conditions=urgent, steps=STEPS[1:])
    tickets = _open_mix(desk, small_account, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        for ticket in tickets:
            if ticket.tier == desk.l3:
                desk_services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l3_engineer)
    live_ids = set(TemplateRun.objects.values_list("ticket_id", flat=True))
    assert len(live_ids) == 2
    assert replay(version, **_window()).ticket_ids == live_ids


def test_simulation_of_sla_breaches_equals_live_execution(desk, small_account, django_capture_on_commit_callbacks):
    version = live(desk, event="sla_breached", steps=STEPS[1:])
    tickets = _open_mix(desk, small_account, django_capture_on_commit_callbacks)
    with time_machine.travel(max(t.resolution_due for t in tickets) + timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            clock.sweep()
        now = Ticket.objects.latest("created_at").created_at + timedelta(days=2)
        simulated = replay(version, since=now - timedelta(days=5), until=now)
    runs = TemplateRun.objects.all()
    assert runs.exists()
    assert {(m.ticket_id, m.key) for m in simulated.matches} == {(r.ticket_id, r.event_key) for r in runs}


def test_simulation_changes_nothing_and_compares_with_the_active_version(
    desk, small_account, django_capture_on_commit_callbacks
):
    first = live(desk, steps=STEPS)
    _open_mix(desk, small_account, django_capture_on_commit_callbacks)
    draft = services.version_new_draft(version=first, by=desk.manager)
    p0_only = {"groups": [{"rules": [{"field": "severity", "op": "eq", "value": "P0"}]}]}
    draft = services.version_update(version=draft, by=desk.manager, content=draft.content() | {"conditions": p0_only})
    before = (Ticket.history.count(), TemplateRun.objects.count())
    result = simulate(draft, days=1)
    assert (Ticket.history.count(), TemplateRun.objects.count()) == before
    p1_enterprise = Ticket.objects.get(severity=desk.p1, account=desk.acme).reference
    p0_standard = Ticket.objects.get(severity=desk.p0, account=small_account).reference
    assert result.only_active == [p1_enterprise] and result.only_candidate == [p0_standard]
    assert result.candidate.owners == ["Assign primary owner: the on-call of L3 → carol.l3"]
