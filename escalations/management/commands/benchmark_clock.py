"""Start the real django-q2 cluster, let deadlines fall due a few seconds ahead, and report how late the clock acted."""

import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalations import services
from escalations.models import SlaEvent, Ticket, Tier
from escalations.models.ticket import open_statuses_literally
from escalations.services import clock
from escalations.services.clock import clock_user

WARM_UP = timedelta(seconds=45)  # django-q2's scheduler looks every ~30 s; the first clock loop starts within it


class Command(BaseCommand):
    help = "Measure the SLA clock's lateness: acknowledgement deadlines a few seconds ahead, failed over by qcluster."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=40)
        parser.add_argument("--spread", type=int, default=60, help="deadlines fall over this many seconds")
        parser.add_argument(
            "--sweep-cost",
            action="store_true",
            help="instead, time one sweep with nothing due and one acting on --tickets due tickets (rolled back), "
            "against the volume in the database (see seed_volume)",
        )

    def handle(self, *args, tickets: int, spread: int, sweep_cost: bool, **options):
        if sweep_cost:
            return self._sweep_cost(tickets)
        top = Tier.objects.filter(is_active=True).order_by("-level").first()
        if top is None:
            raise CommandError("Import the escalation config first.")
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            created = self._tickets_due_soon(tickets, spread)
            self.stdout.write(
                f"{len(created)} assignments fall due over {spread}s after a {WARM_UP.seconds}s warm-up; waiting…"
            )
            self._report(self._wait_for(created, timeout=WARM_UP.seconds + spread + 120))
        finally:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=60)

    def _tickets_due_soon(self, count: int, spread: int) -> list[int]:
        from escalations.models import Account, Severity

        by, severity, account = clock_user(), Severity.objects.order_by("code").first(), Account.objects.first()
        start = timezone.now() + WARM_UP
        ids = []
        for index in range(count):
            ticket = services.ticket_create(
                by=by,
                title=f"Clock benchmark {index}",
                description="Nobody acknowledges this.",
                account=account,
                category="bug",
                severity=severity,
                requester="benchmark",
            )
            owner = get_user_model().objects.filter(groups=ticket.tier.team, is_active=True).first()
            services.ticket_assign(ticket=ticket, by=by, owner=owner, reason="Clock benchmark")
            due = start + timedelta(seconds=spread * index / max(count - 1, 1))
            # Rig only the deadline, so it falls during the measurement instead of after the real timeout.
            Ticket.objects.filter(pk=ticket.pk).update(acknowledgement_due=due)
            ids.append(ticket.pk)
        return ids

    def _wait_for(self, ids: list[int], timeout: int) -> list[float]:
        stop = time.monotonic() + timeout
        events = SlaEvent.objects.filter(ticket_id__in=ids, kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT)
        while time.monotonic() < stop and events.count() < len(ids):
            time.sleep(1)
        return sorted((event.acted_at - event.deadline).total_seconds() for event in events)

    def _report(self, lateness: list[float]) -> None:
        if not lateness:
            raise CommandError("The clock acted on nothing: is the 'SLA clock' schedule there (migrate)?")
        p95 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.95))]
        self.stdout.write(
            f"acted on {len(lateness)}: p50 {statistics.median(lateness):.2f}s, p95 {p95:.2f}s, max {lateness[-1]:.2f}s"
        )

    def _sweep_cost(self, due: int) -> None:
        open_tickets = Ticket.objects.filter(open_statuses_literally())
        self.stdout.write(f"{open_tickets.count()} open tickets")
        with CaptureQueriesContext(connection) as queries:
            idle = _timed(lambda: clock.sweep(now=timezone.now() - timedelta(days=3650)))
        self.stdout.write(f"sweep with nothing due: {idle[0] * 1000:.2f} ms, {len(queries)} query")
        with transaction.atomic():
            picked = list(open_tickets.filter(status__in=Ticket.WORKING_STATUSES).values_list("pk", flat=True)[:due])
            past = timezone.now() - timedelta(seconds=1)
            Ticket.objects.filter(pk__in=picked).update(escalation_due=past, paused_at=None)
            seconds, acted = _timed(clock.sweep)
            self.stdout.write(f"sweep acting on {len(picked)} due tickets: {seconds * 1000:.0f} ms, {acted} actions")
            transaction.set_rollback(True)


def _timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result
