"""A crash trial of the clock: clusters killed with SIGKILL at random moments while deadlines and triggers fall due.

Run it against a throwaway database (it plants tickets and triggers): two or more real `qcluster`s run the clock;
`--kills` times, at random moments, the cluster holding the clock's lease is killed whole with SIGKILL and
restarted. Then it audits what the clusters did: every acknowledgement deadline acted on once (one SlaEvent, one
history entry: no half batch), every delayed trigger run once (ran, with one TemplateRun), and how late.
"""

import logging
import os
import random
import signal
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from devtools.management.commands.benchmark_clock import (
    assigned_tickets,
    rig_acknowledgements,
    spread_of,
    start_cluster,
)
from escalations.models import ClockLease, Severity, SlaEvent, Ticket
from templates_app.models import DelayedTrigger, TemplateRun, TemplateVersion

RUNBOOK = "SLA breach runbook"  # seed_templates' delayed version: "SLA breached" on a high-priority ticket
TRIGGER_KEY = "clock-trial-"
WARM_UP = 10  # seconds from the planting to the first deadline: both clusters start their clocks meanwhile


class Command(BaseCommand):
    help = "Kill clock clusters with SIGKILL while deadlines fall due; audit exactly-once and lateness."

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=500, help="acknowledgement deadlines (default 500)")
        parser.add_argument("--triggers", type=int, default=100, help="delayed template triggers (default 100)")
        parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the lease holder's cluster (default 5)")
        parser.add_argument("--spread", type=int, default=180, help="deadlines fall over this many seconds")
        parser.add_argument("--clusters", type=int, default=2)
        parser.add_argument("--down", type=float, default=2.0, help="seconds a killed cluster stays down")
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, deadlines, triggers, kills, spread, clusters, down, seed, **options):
        if min(deadlines, triggers, kills) < 0 or spread < 1 or clusters < 2:
            raise CommandError("Counts must be 0 or more, --spread at least 1 and --clusters at least 2.")
        runbook = TemplateVersion.objects.filter(template__name=RUNBOOK, status=TemplateVersion.Status.ACTIVE).first()
        if runbook is None:
            raise CommandError("Load the escalation config, demo data and guided templates first (make run does).")
        self.stdout.write(f"Planting {deadlines} deadlines and {triggers} triggers…")
        logging.getLogger("django-q").setLevel(logging.WARNING)  # not a line per notification task queued
        tickets = assigned_tickets(deadlines, title="Clock trial")
        high = Severity.objects.get(code="P1")  # Priority=High: the runbook's conditions hold when it fires
        planted = assigned_tickets(triggers, title="Clock trial trigger", severity=high)
        start = timezone.now() + timedelta(seconds=WARM_UP)
        dues = rig_acknowledgements(tickets, start=start, spread=spread)
        DelayedTrigger.objects.bulk_create(
            DelayedTrigger(
                version=runbook,
                ticket_id=pk,
                event="sla_breached",
                event_key=f"{TRIGGER_KEY}{index}",
                due_at=start + timedelta(seconds=spread * (index + 0.5) / max(len(planted), 1)),
            )
            for index, pk in enumerate(planted)
        )
        logs = tempfile.mkdtemp(prefix="trial-clock-")
        running = [start_cluster(self._log(logs, number)) for number in range(clusters)]
        self.stdout.write(f"{clusters} clusters (logs in {logs}); {kills} kills over {spread}s…")
        try:
            self._kill_at_random(running, logs, kills, spread, down, random.Random(seed))
            self._wait_until_done(tickets, planted, timeout=spread + 60)
        finally:
            stopped_in = self._stop(running)
        self.stdout.write(f"stopped {clusters} clusters with SIGTERM in at most {max(stopped_in):.1f}s")
        late = self._audit_deadlines(dues) + self._audit_triggers(planted)
        if late:
            self.stdout.write(f"lateness of all: {spread_of(late)} (mean {statistics.mean(late):.2f}s)")

    def _log(self, folder: str, number: int):
        return open(os.path.join(folder, f"cluster-{number}.log"), "ab")

    def _kill_at_random(self, running: list, logs: str, kills: int, spread: int, down: float, chance) -> None:
        moments = sorted(chance.uniform(WARM_UP, WARM_UP + spread) for _ in range(kills))
        began = time.monotonic()
        for moment in moments:
            time.sleep(max(moment - (time.monotonic() - began), 0))
            number = self._holder(running)
            number = chance.randrange(len(running)) if number is None else number
            os.killpg(running[number].pid, signal.SIGKILL)
            running[number].wait()
            self.stdout.write(f"  {time.monotonic() - began:6.1f}s: killed cluster {number} (SIGKILL), restarting")
            time.sleep(down)
            running[number] = start_cluster(self._log(logs, number))

    def _holder(self, running: list) -> int | None:
        """Which cluster's worker holds the clock's lease (its holder reads host:pid:…)."""
        lease = ClockLease.objects.filter(expires_at__gt=timezone.now()).first()
        if lease is None:
            return None
        try:
            group = os.getpgid(int(lease.holder.split(":")[1]))
        except (ProcessLookupError, IndexError, ValueError):
            return None
        return next((number for number, cluster in enumerate(running) if cluster.pid == group), None)

    def _wait_until_done(self, tickets: list[int], planted: list[int], timeout: int) -> None:
        stop = time.monotonic() + timeout
        while time.monotonic() < stop:
            events = SlaEvent.objects.filter(ticket_id__in=tickets, kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT)
            acted = events.values("ticket_id").distinct().count()  # a ticket failed over may time out again
            waiting = DelayedTrigger.objects.filter(ticket_id__in=planted, state=DelayedTrigger.State.PENDING)
            if acted == len(tickets) and not waiting.exists():
                return
            time.sleep(1)

    def _stop(self, running: list) -> list[float]:
        began = time.monotonic()
        for cluster in running:
            cluster.send_signal(signal.SIGTERM)
        seconds = []
        for cluster in running:
            cluster.wait(timeout=120)
            seconds.append(time.monotonic() - began)
        return seconds

    def _audit_deadlines(self, dues: dict) -> list[float]:
        """Each planted deadline has its SlaEvent, and each ticket one clock history entry per SlaEvent (no half
        batch, nothing written twice). A ticket may time out again later: the failover set a new deadline."""
        events = list(SlaEvent.objects.filter(ticket_id__in=dues, kind=SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT))
        planted = [event for event in events if event.deadline == dues[event.ticket_id]]
        history = Ticket.history.filter(id__in=dues, history_change_reason__startswith="Acknowledgement timeout")
        written, acted = Counter(history.values_list("id", flat=True)), Counter(event.ticket_id for event in events)
        late = [(event.acted_at - event.deadline).total_seconds() for event in planted]
        self._say("deadlines", len(dues), planted, Counter(event.ticket_id for event in planted), written, acted, late)
        return late

    def _audit_triggers(self, tickets: list[int]) -> list[float]:
        """Each planted trigger ran (state "ran") with exactly one TemplateRun of its occurrence."""
        triggers = DelayedTrigger.objects.filter(ticket_id__in=tickets, event_key__startswith=TRIGGER_KEY)
        due = {(trigger.ticket_id, trigger.event_key): trigger.due_at for trigger in triggers}
        ran = {(trigger.ticket_id, trigger.event_key) for trigger in triggers if trigger.state == "ran"}
        runs = list(TemplateRun.objects.filter(ticket_id__in=tickets, event_key__startswith=TRIGGER_KEY))
        keys = Counter((run.ticket_id, run.event_key) for run in runs)
        late = [(run.started_at - due[run.ticket_id, run.event_key]).total_seconds() for run in runs]
        self._say("triggers", len(due), runs, keys, Counter(ran), Counter(keys.keys()), late)
        return late

    def _say(self, what: str, planted: int, done: list, per_item: Counter, written: Counter, acted: Counter, late):
        duplicated = sum(count > 1 for count in per_item.values())
        half = sum(written[key] != acted[key] for key in written.keys() | acted.keys())
        self.stdout.write(
            f"{what}: {len(per_item)}/{planted} acted on, {planted - len(per_item)} lost, {duplicated} duplicated, "
            f"{half} half done; lateness {spread_of(late) if late else '-'}"
        )
