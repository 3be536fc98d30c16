"""The acknowledgement clock: failover along backup → escalation owner → team queue, exactly once."""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from random import Random

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.utils import timezone

from escalations import services
from escalations.models import Notification, OwnershipTransfer, SlaEvent, Ticket
from escalations.services import acting, clock, outbox, writing
from escalations.services.people import profile_set_away
from tests.conftest import _person

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_engineer(desk):
    return _person("dave.l3", Group.objects.get(name="Agents"), desk.l3.team)


def _p0_awaiting(desk, backup=None, escalation_owner=None) -> Ticket:
    ticket = services.ticket_assign(ticket=desk.open_ticket(severity=desk.p0), by=desk.manager, owner=desk.l3_engineer)
    Ticket.objects.filter(pk=ticket.pk).update(backup_owner=backup, escalation_owner=escalation_owner)
    return Ticket.objects.get(pk=ticket.pk)


def _after_timeout(ticket: Ticket, extra=timedelta(seconds=1)):
    return time_machine.travel(ticket.acknowledgement_due + extra, tick=False)


def test_an_unacknowledged_ticket_fails_over_to_the_backup_owner(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    assert ticket.acknowledgement_due == ticket.assigned_at + timedelta(minutes=15)
    with _after_timeout(ticket):
        assert clock.sweep() == 1
    ticket.refresh_from_db()
    assert (ticket.primary_owner, ticket.status, ticket.backup_owner) == (second_engineer, "assigned", None)
    latest = ticket.history.latest()
    assert latest.history_user.username == clock.CLOCK_USERNAME
    assert "carol.l3 did not acknowledge" in latest.history_change_reason
    transfer = OwnershipTransfer.objects.get()
    assert (transfer.from_owner, transfer.to_owner) == (desk.l3_engineer, second_engineer)
    assert Notification.objects.filter(ticket=ticket, recipient=second_engineer).exists()


def test_a_deadline_is_acted_on_once_however_often_the_clock_sweeps(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    with _after_timeout(ticket):
        assert [clock.sweep(), clock.sweep(), clock.sweep()] == [1, 0, 0]
        assert clock.fail_over(ticket.pk, ticket.acknowledgement_due) is False
    assert SlaEvent.objects.count() == 1 and OwnershipTransfer.objects.count() == 1


def test_an_acknowledgement_before_the_sweep_wins(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    deadline = ticket.acknowledgement_due
    services.ticket_acknowledge(ticket=ticket, by=desk.l3_engineer)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert clock.sweep() == 0
        assert clock.fail_over(ticket.pk, deadline) is False
    assert Ticket.objects.get(pk=ticket.pk).primary_owner == desk.l3_engineer
    assert not SlaEvent.objects.exists()


def test_a_late_acknowledgement_after_the_failover_is_refused_not_applied(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    page_loaded_by_carol = Ticket.objects.get(pk=ticket.pk)
    with _after_timeout(ticket):
        clock.sweep()
    with pytest.raises(services.TicketConflict, match="by sla-clock"):
        services.ticket_acknowledge(ticket=page_loaded_by_carol, by=desk.l3_engineer)
    assert Ticket.objects.get(pk=ticket.pk).primary_owner == second_engineer


def test_owners_who_are_away_are_skipped(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer, escalation_owner=desk.manager)
    profile_set_away(user=second_engineer, by=second_engineer, is_away=True)
    with _after_timeout(ticket):
        clock.sweep()
    assert Ticket.objects.get(pk=ticket.pk).primary_owner == desk.manager


def test_with_nobody_left_the_team_queue_takes_it_and_managers_are_alerted(desk):
    ticket = _p0_awaiting(desk)
    with _after_timeout(ticket):
        assert clock.sweep() == 1
        assert clock.sweep() == 0
    ticket.refresh_from_db()
    assert (ticket.primary_owner, ticket.status, ticket.acknowledgement_due) == (None, "assigned", None)
    alerted = set(Notification.objects.filter(ticket=ticket).values_list("recipient__username", flat=True))
    assert {"maria.manager", "mateo.manager"} <= alerted


def test_going_away_makes_ones_assignments_fail_over_at_once(desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    profile_set_away(user=desk.l3_engineer, by=desk.l3_engineer, is_away=True)
    assert clock.sweep() == 1
    assert Ticket.objects.get(pk=ticket.pk).primary_owner == second_engineer


def test_only_the_person_or_a_manager_marks_someone_away(desk, second_engineer):
    with pytest.raises(PermissionDenied):
        profile_set_away(user=second_engineer, by=desk.l3_engineer, is_away=True)
    assert profile_set_away(user=second_engineer, by=desk.manager, is_away=True).is_away


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between threads need a server database")
def test_two_clocks_sweeping_at_once_act_once(desk, second_engineer):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(10)]
    results = []
    with _after_timeout(tickets[-1]):
        threads = [
            threading.Thread(target=lambda: (results.append(clock.sweep()), connection.close())) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(results) == 10
    assert SlaEvent.objects.count() == 10 and OwnershipTransfer.objects.count() == 10


def test_the_ticket_timeline_says_why_the_clock_moved_it(client, desk, second_engineer):
    ticket = _p0_awaiting(desk, backup=second_engineer)
    with _after_timeout(ticket, extra=timedelta(seconds=3)):
        clock.sweep()
    client.force_login(second_engineer)
    timeline = client.get(f"/tickets/{ticket.reference}/").context["timeline"]
    sla = next(entry for entry in timeline if entry.kind == "sla")
    assert "acted 3s later" in sla.title and "failed over to dave.l3" in sla.body
    assert any(entry.kind == "transfer" and "Automatic failover" in entry.body for entry in timeline)


def _travel_to(moment, extra=timedelta(seconds=1)):
    return time_machine.travel(moment + extra, tick=False)


def test_at_the_escalation_point_the_clock_escalates_one_tier(desk):
    ticket = desk.working_at_l1()
    assert ticket.escalation_due == ticket.created_at + timedelta(hours=18)
    with _travel_to(ticket.escalation_due):
        assert clock.sweep() == 1
        assert clock.sweep() == 0
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status, ticket.primary_owner) == (desk.l2, "assigned", None)
    escalation = ticket.escalations.get()
    assert (escalation.kind, escalation.by.username) == ("sla", clock.CLOCK_USERNAME)
    assert "75% of the L1 resolution time elapsed" in escalation.rationale
    assert Notification.objects.filter(ticket=ticket, recipient=desk.l2_agent).exists()
    assert ticket.escalation_due >= ticket.assigned_at + timedelta(hours=2)


def test_waiting_on_the_customer_stops_the_escalation_clock(desk):
    ticket = desk.working_at_l1()
    services.ticket_wait_on_customer(ticket=ticket, by=desk.l1_agent, reason="Asked for a HAR file")
    with _travel_to(ticket.escalation_due):
        assert clock.sweep() == 0
        services.ticket_resume(ticket=Ticket.objects.get(pk=ticket.pk), by=desk.l1_agent)
    ticket.refresh_from_db()
    assert ticket.paused_for > timedelta(hours=17)
    assert ticket.escalation_due > ticket.created_at + timedelta(hours=35)


def _p0_worked_at_l3(desk) -> Ticket:
    return services.ticket_acknowledge(ticket=_p0_awaiting(desk), by=desk.l3_engineer)


def test_at_the_top_tier_the_escalation_point_alerts_managers(desk):
    ticket = _p0_worked_at_l3(desk)
    with _travel_to(ticket.escalation_due):
        assert clock.sweep() == 1
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.escalation_due) == (desk.l3, None)
    assert Notification.objects.filter(ticket=ticket, recipient=desk.manager).exists()


def test_breaches_are_recorded_once_with_how_late(desk):
    ticket = desk.open_ticket()
    with _travel_to(ticket.first_response_due, extra=timedelta(seconds=7)):
        assert clock.sweep() == 1
    with _travel_to(ticket.resolution_due):
        assert clock.sweep() == 2  # the escalation point (nobody took it: managers alerted) and the breach
        assert clock.sweep() == 0
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is not None and ticket.breached_at is not None
    kinds = {event.kind: event for event in SlaEvent.objects.filter(ticket=ticket)}
    assert set(kinds) == {"first_response_breach", "escalate_at", "resolution_breach"}
    assert kinds["first_response_breach"].lateness >= timedelta(seconds=7)


def test_with_nothing_due_a_sweep_is_one_query(desk, django_assert_num_queries):
    for _ in range(5):
        desk.working_at_l1()
    with django_assert_num_queries(1):
        assert clock.sweep() == 0


def test_the_ticket_shows_every_deadline_with_its_rule_and_refreshes_them(client, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(severity=desk.p0), by=desk.manager, owner=desk.l3_engineer)
    client.force_login(desk.l3_engineer)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    for rule in [
        "L3 first response 1h, around the clock",
        "L3 escalates at 75% of resolution 4h",
        "L3 acknowledgement 15m, real time",
    ]:
        assert rule in page
    fragment = client.get(f"/tickets/{ticket.reference}/clocks/")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "SLA clocks" in fragment.content.decode()


def test_waiting_on_the_customer_shows_the_pause(client, desk):
    ticket = desk.working_at_l1()
    services.ticket_wait_on_customer(ticket=ticket, by=desk.l1_agent, reason="Asked for logs")
    client.force_login(desk.l1_agent)
    assert 'data-testid="paused"' in client.get(f"/tickets/{ticket.reference}/clocks/").content.decode()


def test_changing_a_tiers_sla_moves_the_deadlines_of_its_open_tickets_and_says_why(
    desk, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("escalations.signals.async_task", lambda *args: queued.append(args))
    open_ticket, closed = desk.working_at_l1(), desk.working_at_l1()
    services.ticket_resolve(ticket=closed, by=desk.l1_agent, reason="Fixed")
    closed_due = Ticket.objects.get(pk=closed.pk).resolution_due
    with django_capture_on_commit_callbacks(execute=True):
        desk.l1.resolution_target = timedelta(hours=12)
        desk.l1.save()
    assert queued == [
        ("escalations.tasks.recompute_deadlines", "tier", desk.l1.pk, "the tier “L1 · Front-Line Support” changed")
    ]
    from escalations import tasks

    assert tasks.recompute_deadlines(*queued[0][1:]) == 1
    open_ticket.refresh_from_db()
    assert open_ticket.resolution_due == open_ticket.created_at + timedelta(hours=12)
    assert (
        open_ticket.history.latest().history_change_reason
        == "Deadlines recomputed: the tier “L1 · Front-Line Support” changed"
    )
    assert Ticket.objects.get(pk=closed.pk).resolution_due == closed_due
    assert tasks.recompute_deadlines(*queued[0][1:]) == 0


def test_a_ticket_that_cannot_be_acted_on_is_left_to_the_next_sweep_and_the_others_go_ahead(
    desk, second_engineer, monkeypatch
):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(5)]
    real_rows, calls = acting.notification_rows, []

    def rows_then_fail(**kwargs):
        calls.append(kwargs["ticket"].pk)
        if len(calls) == 3:
            raise RuntimeError("a bad ticket")
        return real_rows(**kwargs)

    monkeypatch.setattr(acting, "notification_rows", rows_then_fail)
    with _after_timeout(tickets[-1]):
        assert clock.sweep() == 4  # the third ticket is left as it was
        assert Ticket.objects.get(pk=calls[2]).primary_owner == desk.l3_engineer
        assert clock.sweep() == 1
        assert clock.sweep() == 0
    assert SlaEvent.objects.count() == 5 and OwnershipTransfer.objects.count() == 5
    assert set(Ticket.objects.values_list("primary_owner", flat=True)) == {second_engineer.pk}


def test_when_a_batchs_writes_fail_each_ticket_is_acted_on_alone(desk, second_engineer, monkeypatch):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(3)]
    real_save, calls = writing.notifications_save_many, []

    def fail_the_batch(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return real_save(rows)

    monkeypatch.setattr(writing, "notifications_save_many", fail_the_batch)
    with _after_timeout(tickets[-1]):
        assert clock.sweep() == 3
    assert len(calls) == 4  # the batch, then each ticket alone
    assert SlaEvent.objects.count() == 3 and OwnershipTransfer.objects.count() == 3
    assert Ticket.history.filter(history_change_reason__startswith="Acknowledgement timeout").count() == 3


def test_a_sweep_killed_midway_leaves_nothing_behind_and_the_next_does_everything_once(
    desk, second_engineer, monkeypatch
):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(5)]

    def killed(rows):
        raise SystemExit("worker killed")  # not an Exception: nothing catches it, as with a killed process

    monkeypatch.setattr(writing, "notifications_save_many", killed)
    with _after_timeout(tickets[-1]):
        with pytest.raises(SystemExit):
            clock.sweep()
        assert not SlaEvent.objects.exists() and not OwnershipTransfer.objects.exists()
        monkeypatch.undo()
        assert clock.sweep() == 5
        assert clock.sweep() == 0
    assert SlaEvent.objects.count() == 5 and OwnershipTransfer.objects.count() == 5
    assert set(Ticket.objects.values_list("primary_owner", flat=True)) == {second_engineer.pk}


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_a_resolution_breach_escalates_a_ticket_nobody_escalated_yet(desk):
    ticket = desk.open_ticket()
    with _travel_to(ticket.escalation_due):
        assert clock.sweep() == 2  # the first-response breach; the escalation point finds nobody on it: managers
        working = services.ticket_acknowledge(
            ticket=services.ticket_assign(ticket=_fresh(ticket), by=desk.manager, owner=desk.l1_agent), by=desk.l1_agent
        )
    assert working.escalation_due is None and not working.escalations.exists()
    with _travel_to(working.resolution_due):
        assert clock.sweep() == 1
        assert clock.sweep() == 0
    working.refresh_from_db()
    assert (working.tier, working.status, working.primary_owner) == (desk.l2, "assigned", None)
    assert working.breached_at is not None
    escalation = working.escalations.get()
    assert (escalation.kind, escalation.from_tier, escalation.by.username) == ("sla", desk.l1, clock.CLOCK_USERNAME)
    assert "resolution breached at L1" in escalation.rationale and "escalated to L2" in escalation.rationale
    assert SlaEvent.objects.get(ticket=working, kind="resolution_breach").outcome == escalation.rationale
    assert "escalated to L2" in working.history.latest().history_change_reason
    breach_alerts = Notification.objects.filter(ticket=working, subject__endswith="resolution breached")
    alerted = set(breach_alerts.values_list("recipient__username", flat=True))
    assert {"maria.manager", "alice.l1", "bob.l2"} <= alerted


def test_a_breach_in_the_same_sweep_as_the_escalation_point_escalates_once(desk):
    ticket = desk.working_at_l1()
    with _travel_to(ticket.resolution_due):
        assert clock.sweep() == 2  # escalation point and breach
    ticket.refresh_from_db()
    assert ticket.tier == desk.l2 and ticket.breached_at is not None
    assert list(ticket.escalations.values_list("from_tier__level", "to_tier__level")) == [(1, 2)]


def test_a_breach_does_not_escalate_a_ticket_brought_back_down_to_its_tier(desk):
    ticket = desk.working_at_l1()
    with _travel_to(ticket.escalation_due):
        clock.sweep()  # up to L2 by the clock
        at_l2 = services.ticket_acknowledge(ticket=_fresh(ticket), by=desk.l2_agent)
        desk.deescalate(at_l2, desk.l2_agent, desk.l1)
        back = services.ticket_acknowledge(ticket=_fresh(ticket), by=desk.l1_agent)
    Ticket.objects.filter(pk=ticket.pk).update(escalation_due=None)  # only the breach is left to fall due
    with _travel_to(back.resolution_due):
        assert clock.sweep() == 1
    ticket.refresh_from_db()
    assert ticket.tier == desk.l1 and ticket.breached_at is not None
    assert "escalated" not in SlaEvent.objects.get(ticket=ticket, kind="resolution_breach").outcome


def test_at_the_top_tier_a_breach_alerts_managers_without_escalating(desk):
    ticket = _p0_worked_at_l3(desk)
    with _travel_to(ticket.resolution_due):
        assert clock.sweep() == 2  # escalation point and breach, both alerts
    ticket.refresh_from_db()
    assert ticket.tier == desk.l3 and ticket.breached_at is not None and not ticket.escalations.exists()


def _race_side(side: str) -> subprocess.Popen:
    """A Python process of its own on the test database, as a worker and a web server are."""
    database = connection.settings_dict
    url = f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:{database['PORT']}"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": f"{url}/{database['NAME']}"}
    env.pop("REDIS_URL", None)  # deliveries are queued in the test database, which the test empties afterwards
    return subprocess.Popen(
        [sys.executable, "-m", "tests.clock_race_side", side],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _say(process: subprocess.Popen, line: str) -> None:
    process.stdin.write(f"{line}\n")
    process.stdin.flush()


def _hear(process: subprocess.Popen) -> str:
    answer = process.stdout.readline().strip()
    assert answer, f"the {process.args[-1]} process died: see its traceback above"
    return answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes writing at once need a server database")
def test_an_acknowledgement_racing_the_timeout_in_another_process_wins_or_loses_whole(desk, second_engineer):
    rounds, random = 8, Random(4)
    sides = {side: _race_side(side) for side in ("clock", "agent")}
    outcomes = []
    try:
        for _ in range(rounds):
            ticket = _p0_awaiting(desk, backup=second_engineer)
            Ticket.objects.filter(pk=ticket.pk).update(acknowledgement_due=timezone.now() - timedelta(seconds=1))
            for process in sides.values():
                _say(process, str(ticket.pk))
            assert [_hear(process) for process in sides.values()] == ["ready", "ready"]
            first, second = random.sample(list(sides.values()), 2)
            _say(first, "go")
            time.sleep(random.uniform(0, 0.02))
            _say(second, "go")
            outcome = (_hear(sides["clock"]), _hear(sides["agent"]))
            outcomes.append(outcome)
            ticket.refresh_from_db()
            if outcome == ("failed over", "refused"):
                assert (ticket.status, ticket.primary_owner) == ("assigned", second_engineer)
                assert SlaEvent.objects.filter(ticket=ticket).count() == 1
            else:
                assert outcome == ("did nothing", "acknowledged")
                assert (ticket.status, ticket.primary_owner) == ("in_progress", desk.l3_engineer)
                assert not SlaEvent.objects.filter(ticket=ticket).exists()
    finally:
        for process in sides.values():
            process.stdin.close()
            process.wait(timeout=30)
    assert [process.returncode for process in sides.values()] == [0, 0]
    print("outcomes:", Counter(outcomes))


def test_a_deadline_recomputed_back_to_a_value_already_acted_on_stays_done(desk, django_assert_num_queries):
    ticket = _p0_worked_at_l3(desk)
    deadline = ticket.escalation_due
    with _travel_to(deadline):
        assert clock.sweep() == 1  # top tier: managers alerted, the escalation point cleared
        clock.deadlines_recompute(reason="the tier was saved unchanged", tickets=Ticket.objects.all())
        assert _fresh(ticket).escalation_due == deadline
        with django_assert_num_queries(1):
            assert clock.sweep() == 0
    assert SlaEvent.objects.filter(ticket=ticket, kind="escalate_at").count() == 1


def test_a_database_failure_is_logged_once_per_batch_not_once_per_ticket(desk, second_engineer, monkeypatch, caplog):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(3)]

    def database_down(rows):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(writing, "notifications_save_many", database_down)
    with _after_timeout(tickets[-1]):
        assert clock.sweep() == 0
    assert [record.message for record in caplog.records if record.name == clock.logger.name] == [
        "SLA clock: the database failed acting on 3 deadlines; the next sweep retries"
    ]
    assert not SlaEvent.objects.exists()


def test_other_apps_hear_of_each_action_after_commit_and_never_of_one_dropped(
    desk, second_engineer, monkeypatch, django_capture_on_commit_callbacks
):
    tickets = [_p0_awaiting(desk, backup=second_engineer) for _ in range(3)]
    real_rows, calls, heard = acting.notification_rows, [], []

    def rows_then_fail(**kwargs):
        calls.append(kwargs["ticket"].pk)
        if len(calls) == 2:
            raise RuntimeError("a bad ticket")
        return real_rows(**kwargs)

    monkeypatch.setattr(acting, "notification_rows", rows_then_fail)
    monkeypatch.setitem(
        outbox.CONSUMERS, "listener", lambda event: heard.append((event.ticket_id, event.event, event.key))
    )
    with _after_timeout(tickets[-1]), django_capture_on_commit_callbacks(execute=True):
        assert clock.sweep() == 2
        assert heard == []  # nothing before commit
    acted = [ticket for ticket in tickets if ticket.pk != calls[1]]
    assert heard == [
        (ticket.pk, event, key)
        for ticket in acted
        for event, key in [("updated", ""), ("ack_timeout", ticket.acknowledgement_due.isoformat())]
    ]
