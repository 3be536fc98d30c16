"""Desk events as rows written with the change: none lost when a process dies after commit, none handled twice."""

import logging
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from escalations.models import DeskEvent, DeskEventReceipt, Ticket
from escalations.services import outbox
from escalations.services.clock_loop import ClockLoop
from escalations.services.outbox import drain_desk_events, prune_desk_events, record_ticket_event
from escalations.tasks import drain_desk_events as drain_task
from templates_app.models import DelayedTrigger, TemplateRun
from templates_app.services import clock as templates_clock
from templates_app.services.execution import on_desk_event
from tests.outbox_crash_side import CRASHED
from tests.templates.conftest import live

pytestmark = pytest.mark.django_db

HIGH = {"groups": [{"rules": [{"field": "priority", "op": "eq", "value": "High"}]}]}
LEAD = {"groups": [{"rules": [{"field": "event_name", "op": "eq", "value": "lead_rejected"}]}]}
PAGE = [{"kind": "notify", "audience": "managers", "message": "Breached for 30 minutes"}]


class Died(BaseException):
    """The process of a drain ending mid-batch (killed, out of memory): nothing after it runs."""


@pytest.fixture
def heard(monkeypatch) -> list[tuple[int, str]]:
    """The only consumer: it notes each event it handles, as (ticket id, event)."""
    heard = []
    monkeypatch.setattr(outbox, "CONSUMERS", {"probe": lambda event: heard.append((event.ticket_id, event.event))})
    return heard


def _after_lease():
    return time_machine.travel(timezone.now() + outbox.LEASE + timedelta(seconds=1), tick=False)


def _die_right_after_commit(action: str, ticket: Ticket, tmp_path) -> None:
    """Run `action` in a process of its own on the test database; it dies the moment its transaction commits.

    SQLite's test database lives in this process's memory: the other process works on a copy, copied back after.
    """
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings_test"}
    env.pop("REDIS_URL", None)
    args = [sys.executable, "-m", "tests.outbox_crash_side", action, str(ticket.pk)]
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        copy = str(tmp_path / "desk.sqlite3")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [copy])
        args.append(copy)
    else:
        server = f"{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:{database['PORT']}"
        env["DATABASE_URL"] = f"postgres://{server}/{database['NAME']}"
    died = subprocess.run(
        args, check=False, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert died.returncode == CRASHED, died.stderr
    if connection.vendor == "sqlite":
        with sqlite3.connect(copy) as source:
            source.backup(connection.connection)


@pytest.mark.django_db(transaction=True)
def test_a_breach_swept_by_a_process_that_dies_after_commit_still_schedules_its_runbook_once(desk, tmp_path):
    live(desk, event="sla_breached", delay_minutes=30, conditions=HIGH, steps=PAGE)
    ticket = desk.open_ticket(severity=desk.p1)  # its creation is handled once it commits, as usual
    due = timezone.now() - timedelta(seconds=1)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due=due)
    _die_right_after_commit("sweep", ticket, tmp_path)
    assert Ticket.objects.get(pk=ticket.pk).breached_at is not None
    assert not DelayedTrigger.objects.exists()  # the runbook's wait was never scheduled by the process that died
    assert drain_desk_events() == 2  # the clock's update and the breach
    assert drain_desk_events() == 0
    trigger = DelayedTrigger.objects.get()
    assert (trigger.ticket_id, trigger.event, trigger.event_key) == (ticket.pk, "sla_breached", due.isoformat())
    with time_machine.travel(trigger.due_at + timedelta(seconds=1), tick=False):
        assert templates_clock.sweep() == 1
    assert TemplateRun.objects.get().ticket_id == ticket.pk


@pytest.mark.django_db(transaction=True)
def test_an_inbound_event_recorded_by_a_process_that_dies_after_commit_still_runs_its_template_once(desk, tmp_path):
    live(desk, event="inbound", conditions=LEAD, steps=PAGE)
    ticket = desk.open_ticket()
    _die_right_after_commit("inbound", ticket, tmp_path)
    assert not TemplateRun.objects.exists()
    assert drain_desk_events() == 1
    assert drain_desk_events() == 0
    assert TemplateRun.objects.get().event == "inbound"


def test_a_change_rolled_back_tells_no_consumer(desk, heard):
    ticket = desk.open_ticket()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_ticket_event(ticket, "updated")
        raise RuntimeError("the change failed")
    assert drain_desk_events() == 1
    assert heard == [(ticket.pk, "created")]


def test_each_consumer_hears_of_each_event_once(desk, heard):
    others = []
    outbox.register_consumer("webhooks", lambda event: others.append(event.event))
    ticket = desk.open_ticket()
    assert drain_desk_events() == 2
    assert drain_desk_events() == 0
    assert (heard, others) == ([(ticket.pk, "created")], ["created"])


def test_a_drain_that_dies_mid_batch_leaves_its_events_to_be_claimed_again_after_the_lease(desk, monkeypatch):
    handled = []

    def dies_on_the_second(event):
        if len(handled) == 1:
            raise Died
        handled.append(event.pk)

    monkeypatch.setattr(outbox, "CONSUMERS", {"probe": dies_on_the_second})
    tickets = [desk.open_ticket() for _ in range(3)]
    with pytest.raises(Died):
        drain_desk_events()
    monkeypatch.setattr(outbox, "CONSUMERS", {"probe": lambda event: handled.append(event.pk)})
    assert drain_desk_events() == 0  # still leased to the drain that died
    with _after_lease():
        assert drain_desk_events() == 3
    events = list(DeskEvent.objects.values_list("pk", flat=True))
    assert handled == [events[0], *events]  # the first twice: its drain died before marking it done
    assert DeskEventReceipt.objects.filter(done_at__isnull=False).count() == len(tickets)


def test_the_templates_run_once_for_an_event_handled_again_after_a_drain_died(desk, monkeypatch):
    live(desk, event="inbound", conditions=LEAD, steps=PAGE)
    live(desk, name="SLA breach runbook", event="inbound", conditions=LEAD, steps=PAGE, delay_minutes=30)

    def handle_then_die(event):
        on_desk_event(event)
        raise Died

    ticket = desk.open_ticket()
    drain_desk_events()
    record_ticket_event(ticket, "inbound", key="inbound-1", inbound={"name": "lead_rejected", "source": "crm"})
    monkeypatch.setitem(outbox.CONSUMERS, "templates", handle_then_die)
    with pytest.raises(Died):
        drain_desk_events()
    monkeypatch.setitem(outbox.CONSUMERS, "templates", on_desk_event)
    with _after_lease():
        assert drain_desk_events() == 1
    assert (TemplateRun.objects.count(), DelayedTrigger.objects.count()) == (1, 1)


def test_a_failing_consumer_is_retried_after_the_lease_and_given_up_after_its_last_attempt(desk, heard, caplog):
    def broken(event):
        raise ValueError("no route to the CRM")

    outbox.register_consumer("crm", broken)
    ticket, start = desk.open_ticket(), timezone.now()
    drain_desk_events()
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        with time_machine.travel(start + attempt * (outbox.LEASE + timedelta(seconds=1)), tick=False):
            assert DeskEventReceipt.objects.get(consumer="crm").done_at is None
            drain_desk_events()
    receipt = DeskEventReceipt.objects.get(consumer="crm")
    assert (receipt.attempts, receipt.error) == (outbox.MAX_ATTEMPTS, "ValueError: no route to the CRM")
    assert receipt.done_at is not None
    assert heard == [(ticket.pk, "created")]  # the other consumer heard once, unhindered
    failures = [
        record for record in caplog.records if record.levelno == logging.ERROR and record.name == outbox.logger.name
    ]
    assert len(failures) == outbox.MAX_ATTEMPTS and "given up" in failures[-1].getMessage()


def test_old_events_are_pruned_only_once_every_consumer_is_done_with_them(desk, heard, monkeypatch):
    waiting_ticket, done_ticket, recent_ticket = (desk.open_ticket() for _ in range(3))
    DeskEventReceipt.objects.exclude(event__ticket=waiting_ticket).update(done_at=timezone.now())
    old = timezone.now() - timedelta(days=settings.DESK_EVENT_RETENTION_DAYS, seconds=1)
    DeskEvent.objects.exclude(ticket=recent_ticket).update(created_at=old)
    assert prune_desk_events() == 1
    assert set(DeskEvent.objects.values_list("ticket_id", flat=True)) == {waiting_ticket.pk, recent_ticket.pk}
    assert not DeskEventReceipt.objects.filter(event__ticket=done_ticket).exists()
    monkeypatch.setattr(outbox, "CONSUMERS", {})  # a consumer no longer registered holds nothing back
    assert prune_desk_events() == 1


def test_the_sla_clock_loop_handles_the_events_left_waiting(desk, heard):
    ticket = desk.open_ticket()  # no after-commit drain: as if its process had died
    ClockLoop(stop=threading.Event()).tick()
    assert heard == [(ticket.pk, "created")]


def test_the_hourly_task_handles_the_events_left_waiting_and_prunes_old_ones(desk, heard):
    ticket = desk.open_ticket()
    DeskEvent.objects.update(created_at=timezone.now() - timedelta(days=settings.DESK_EVENT_RETENTION_DAYS + 1))
    assert drain_task() == 1
    assert heard == [(ticket.pk, "created")] and not DeskEvent.objects.exists()


def test_with_nothing_waiting_a_drain_costs_one_query_per_consumer(desk, django_assert_num_queries):
    with django_assert_num_queries(len(outbox.CONSUMERS)):
        assert drain_desk_events() == 0
