"""The clock's loop: it survives database errors, one loop of all the clusters' sweeps, a standby takes over."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone

from escalations import services
from escalations.models import SlaEvent, Ticket
from escalations.services import clock, clock_loop
from escalations.services.clock_loop import ClockLoop, lease_hold

pytestmark = pytest.mark.django_db


class Ticks:
    """A stop flag that lets a loop tick `count` times, recording how long it was told to wait after each tick."""

    def __init__(self, count: int):
        self.left, self.waits = count, []

    def is_set(self) -> bool:
        return self.left <= 0

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.left -= 1
        return self.is_set()


def _counting(ran: list[str], name: str):
    def step() -> int:
        ran.append(name)
        return 1

    return step


def _down_for(failures: int, ran: list[str]):
    """A step whose database is unreachable `failures` times, then back."""

    def step() -> int:
        if len(ran) < failures:
            ran.append("failed")
            raise OperationalError("server closed the connection unexpectedly")
        ran.append("acted")
        return 1

    return step


def test_the_desk_events_and_the_templates_clock_run_as_steps_of_the_desks_loop():
    assert list(clock_loop.SWEEP_STEPS) == ["SLA clock", "Desk events", "Templates clock"]
    assert clock_loop.SWEEP_STEPS["SLA clock"] is clock.sweep


def test_a_database_error_does_not_end_the_loop_it_backs_off_1_2_4_then_5_seconds(monkeypatch):
    ran, closed = [], []
    monkeypatch.setattr(clock_loop, "close_old_connections", lambda: closed.append(True))
    ticks = Ticks(7)
    acted = ClockLoop(stop=ticks, steps={"SLA clock": _down_for(5, ran)}).run()
    assert ran == ["failed"] * 5 + ["acted"] * 2
    assert ticks.waits[:5] == [1, 2, 4, 5, 5]  # the first sweep after the database returns: within 5 s
    assert all(wait <= 1 for wait in ticks.waits[5:])  # and every second again
    assert acted == 2 and len(closed) == 5  # each broken connection closed, to be opened afresh


def test_a_step_that_fails_is_logged_and_the_next_steps_still_run(caplog):
    ran = []

    def broken() -> int:
        raise RuntimeError("a bug in one step")

    ClockLoop(stop=Ticks(2), steps={"Broken": broken, "SLA clock": _counting(ran, "sla")}).run()
    assert ran == ["sla", "sla"]
    assert "Clock: the Broken step failed; the next tick runs it again" in caplog.messages


def test_only_the_lease_holder_runs_the_steps_and_a_stopping_holder_hands_over_at_once():
    ran = []
    holder = ClockLoop(stop=Ticks(1), steps={"SLA clock": _counting(ran, "holder")})
    standby = ClockLoop(stop=Ticks(1), steps={"SLA clock": _counting(ran, "standby")})
    holder.tick(), standby.tick(), holder.tick(), standby.tick()
    assert ran == ["holder", "holder"]
    holder.run()  # ticks once more, then stops
    standby.tick()
    assert ran == ["holder", "holder", "holder", "standby"]


def test_a_standby_takes_over_once_the_lease_of_a_killed_holder_lapses():
    start = timezone.now()
    assert lease_hold(holder="cluster-a", now=start)
    assert not lease_hold(holder="cluster-b", now=start + clock_loop.LEASE - timedelta(milliseconds=1))
    assert lease_hold(holder="cluster-b", now=start + clock_loop.LEASE)  # cluster-a was killed: no renewal came
    assert not lease_hold(holder="cluster-a", now=start + clock_loop.LEASE + timedelta(seconds=1))


def test_a_holder_that_renews_keeps_the_lease():
    start = timezone.now()
    for second in range(5):
        assert lease_hold(holder="cluster-a", now=start + timedelta(seconds=second))
        assert not lease_hold(holder="cluster-b", now=start + timedelta(seconds=second, milliseconds=500))


def _due_ticket(desk) -> Ticket:
    ticket = services.ticket_assign(ticket=desk.open_ticket(severity=desk.p0), by=desk.manager, owner=desk.l3_engineer)
    Ticket.objects.filter(pk=ticket.pk).update(acknowledgement_due=timezone.now() - timedelta(seconds=1))
    return ticket


def _until(condition, seconds: float = 30) -> bool:
    """Polls a condition a background loop or cluster makes true; the bound only keeps a broken run from hanging."""
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if condition():
            return True
        time.sleep(0.1)
    return False


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="kills a PostgreSQL backend")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_under_the_loop_is_reopened_and_the_loop_goes_on(desk, caplog):
    backends = []

    def note_backend() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.append(cursor.fetchone()[0])
        return 0

    stop = threading.Event()
    loop = ClockLoop(stop=stop, steps={"Backend": note_backend, "SLA clock": clock.sweep}).thread()
    loop.start()
    try:
        assert _until(lambda: backends)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backends[-1]])
        ticket = _due_ticket(desk)
        assert _until(lambda: SlaEvent.objects.filter(ticket=ticket).exists())
        assert loop.is_alive() and backends[-1] != backends[0]
        assert any(message.startswith("Clock: the database failed") for message in caplog.messages)
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_cluster_runs_the_clock_in_its_workers_and_stops_within_seconds_of_sigterm(desk):
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + settings.DATABASES["default"]["NAME"]
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env=os.environ | {"DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ticket = _due_ticket(desk)
        assert _until(lambda: SlaEvent.objects.filter(ticket=ticket).exists())
    finally:
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=10)  # django-q2 stops once its workers' loops end, not after a 75 s loop
    assert cluster.returncode == 0
