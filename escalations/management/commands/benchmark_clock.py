"""Start the real django-q2 cluster, let deadlines fall due a few seconds ahead, and report how late the clock acted."""

import logging
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalations import services
from escalations.models import Notification, SlaEvent, Ticket, Tier
from escalations.models.ticket import open_statuses_literally
from escalations.services import clock
from escalations.services.clock import clock_user

WARM_UP = timedelta(seconds=15)  # the cluster's workers start the clock's loop within seconds of its start


class Command(BaseCommand):
    help = "Measure the SLA clock's lateness: acknowledgement deadlines a few seconds ahead, failed over by qcluster."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=40)
        parser.add_argument("--spread", type=int, default=60, help="deadlines fall over this many seconds")
        parser.add_argument(
            "--sweep-cost",
            action="store_true",
            help="instead, time sweeps against the tickets in the database (seed them with seed_volume): one with "
            "nothing due, and one acting on each --due count of working tickets made due (rolled back afterwards)",
        )
        parser.add_argument("--due", default="0,232,1000", help="--sweep-cost: due ticket counts (default 0,232,1000)")
        parser.add_argument("--repeat", type=int, default=5, help="--sweep-cost: timings of each (default 5)")

    def handle(self, *args, tickets: int, spread: int, sweep_cost: bool, due: str, repeat: int, **options):
        if sweep_cost:
            try:
                counts = [int(count) for count in due.split(",")]
            except ValueError:
                raise CommandError(f"--due takes counts separated by commas, e.g. 0,232,1000; got {due!r}") from None
            if repeat < 1 or min(counts) < 0:
                raise CommandError("--repeat must be at least 1 and --due counts 0 or more.")
            return self._sweep_cost(counts, repeat)
        top = Tier.objects.filter(is_active=True).order_by("-level").first()
        if top is None:
            raise CommandError("Import the escalation config first.")
        cluster = start_cluster()
        try:
            created = assigned_tickets(tickets, title="Clock benchmark")
            rig_acknowledgements(created, start=timezone.now() + WARM_UP, spread=spread)
            self.stdout.write(
                f"{len(created)} assignments fall due over {spread}s after a {WARM_UP.seconds}s warm-up; waiting…"
            )
            self._report(self._wait_for(created, timeout=WARM_UP.seconds + spread + 120))
        finally:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=60)

    def _wait_for(self, ids: list[int], timeout: int) -> list[float]:
        stop = time.monotonic() + timeout
        events = SlaEvent.objects.filter(ticket_id__in=ids, kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT)
        while time.monotonic() < stop and events.count() < len(ids):
            time.sleep(1)
        return [(event.acted_at - event.deadline).total_seconds() for event in events]

    def _report(self, lateness: list[float]) -> None:
        if not lateness:
            raise CommandError("The clock acted on nothing: is the cluster starting (see `manage.py qcluster`)?")
        self.stdout.write(f"acted on {len(lateness)}: {spread_of(lateness)}")

    def _sweep_cost(self, counts: list[int], repeat: int) -> None:
        """Each timing runs in a transaction rolled back afterwards, so the database is the same for every one.

        The due tickets are working tickets (the first by number) whose acknowledgement (when assigned) or
        escalation point is made to fall due; the sweep acts at an instant ten years back, so the seeded
        tickets' own passed deadlines stay out of it and each count is exactly what is acted on.
        """
        clock.clock_user()
        open_count = Ticket.objects.filter(open_statuses_literally()).count()
        self.stdout.write(f"{open_count} open tickets, {connection.vendor}")
        for count in counts:
            runs = [_one_sweep(count) for _ in range(repeat)]
            wall, cpu = [run.seconds * 1000 for run in runs], [run.cpu_seconds * 1000 for run in runs]
            last, queueing = runs[-1], [run.queueing * 1000 for run in runs if run.queueing is not None]
            after = f"; after commit (queueing, ticket events) median {statistics.median(queueing):.0f} ms"
            queue_cost = after if queueing else ""
            self.stdout.write(
                f"{count:>6} due: min {min(wall):7.1f} ms, median {statistics.median(wall):7.1f} ms "
                f"(this process's CPU: median {statistics.median(cpu):.0f} ms) over {repeat} runs; "
                f"{last.acted} actions, {last.queries} queries; {last.queued} deliveries to queue after commit"
                + queue_cost
            )


def start_cluster(log=subprocess.DEVNULL) -> subprocess.Popen:
    """A real `manage.py qcluster`, in a session of its own so that it can be killed whole (its group id is its pid)."""
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], stdout=log, stderr=log, start_new_session=True)


def assigned_tickets(count: int, *, title: str, severity=None) -> list[int]:
    """Tickets assigned to a member of their tier's team, through the desk's services; their ids."""
    from escalations.models import Account, Severity

    by, account = clock_user(), Account.objects.first()
    severity = severity or Severity.objects.order_by("code").first()
    ids = []
    for index in range(count):
        ticket = services.ticket_create(
            by=by,
            title=f"{title} {index}",
            description="Nobody acknowledges this.",
            account=account,
            category="bug",
            severity=severity,
            requester="benchmark",
        )
        ticket = Ticket.objects.get(pk=ticket.pk)  # a template run on "ticket created" may have assigned it
        if ticket.status != Ticket.Status.ASSIGNED:
            owner = get_user_model().objects.filter(groups=ticket.tier.team, is_active=True).first()
            services.ticket_assign(ticket=ticket, by=by, owner=owner, reason=title)
        ids.append(ticket.pk)
    return ids


def rig_acknowledgements(ids: list[int], *, start, spread: float) -> dict:
    """Rig only the deadlines, spread evenly from `start`, so they fall during the measurement; ticket id → due."""
    dues = {pk: start + timedelta(seconds=spread * index / max(len(ids) - 1, 1)) for index, pk in enumerate(ids)}
    for pk, due in dues.items():
        Ticket.objects.filter(pk=pk).update(acknowledgement_due=due)
    return dues


def spread_of(lateness: list[float]) -> str:
    ordered = sorted(lateness)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.2f}s, p95 {p95:.2f}s, max {ordered[-1]:.2f}s"


@dataclass
class SweepRun:
    seconds: float
    cpu_seconds: float  # steadier than wall time on a shared machine; leaves out PostgreSQL's own work
    acted: int
    queries: int
    queued: int  # notifications left pending for the delivery tasks queued after commit
    queueing: float | None  # seconds the on-commit callbacks took (ORM broker only: its tasks are rolled back)


def _one_sweep(count: int) -> SweepRun:
    at = timezone.now() - timedelta(days=3650)
    with transaction.atomic():
        working = Ticket.objects.filter(open_statuses_literally(), status__in=Ticket.WORKING_STATUSES)
        picked = list(working.order_by("number").values_list("pk", "status")[:count])
        assigned = [pk for pk, status in picked if status == Ticket.Status.ASSIGNED]
        Ticket.objects.filter(pk__in=assigned).update(acknowledgement_due=at - timedelta(seconds=1))
        others = [pk for pk, status in picked if status != Ticket.Status.ASSIGNED]
        Ticket.objects.filter(pk__in=others).update(escalation_due=at - timedelta(seconds=1), paused_at=None)
        last_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        cpu_started = time.process_time()
        with CaptureQueriesContext(connection) as queries:
            seconds, acted = _timed(lambda: _sweep_until_done(at))
        cpu_seconds = time.process_time() - cpu_started
        queued = Notification.objects.filter(pk__gt=last_notification, status=Notification.Status.PENDING).count()
        queueing = None
        if "orm" in settings.Q_CLUSTER:  # the queued tasks are rows of this transaction: rolled back with it
            callbacks, connection.run_on_commit = connection.run_on_commit, []
            chatty = logging.getLogger("django-q")
            level = chatty.level
            chatty.setLevel(logging.WARNING)  # it logs every task queued
            queueing, _ = _timed(lambda: [callback() for _, callback, _ in callbacks])
            chatty.setLevel(level)
        transaction.set_rollback(True)
    return SweepRun(seconds, cpu_seconds, acted, len(queries), queued, queueing)


def _sweep_until_done(at) -> int:
    acted = 0
    while done := clock.sweep(now=at):
        acted += done
    return acted


def _timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result
