"""The clock's loop: every cluster worker runs one; the loop holding the lease runs the sweep steps every second.

Why a loop per worker and a lease: django-q2's scheduler looks at schedules only every ~30 s and a task lands on
whichever cluster pulls it, so a scheduled loop dies with its cluster and nothing replaces it for a minute. Here each
worker of each cluster starts a loop (`escalations.tasks.start_clock`); one holds the `ClockLease` row and renews it
before every step, the others read it every second and take it by a conditional UPDATE once it lapses, so a killed
cluster's clock resumes elsewhere within `LEASE` + 1 s. Exactly-once never rests on the lease: every step claims its
work itself (unique SlaEvent, SKIP LOCKED, conditional UPDATEs), so two holders at once would only repeat reads.

A database error (a dropped connection, a restart) never ends the loop: the broken connection is closed and the loop
waits 1 s, 2 s, 4 s, then 5 s at most between attempts, so the first sweep after the database returns comes within 5 s.
No transaction is held across a wait, and the loop sees its stop flag within a second.
"""

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import DatabaseError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone

from escalations.models import ClockLease
from escalations.services.clock import sweep
from escalations.services.outbox import drain_desk_events

LEASE_NAME = "clock"
LEASE = timedelta(seconds=3)
INTERVAL = 1.0
BACKOFF_LONGEST = 5.0
logger = logging.getLogger(__name__)

# What the lease holder runs each second, in order: name → a function returning how many actions it took.
# Other apps add theirs from their AppConfig.ready (escalations never imports them).
SWEEP_STEPS: dict[str, Callable[[], int]] = {"SLA clock": sweep, "Desk events": drain_desk_events}


def register_sweep_step(name: str, step: Callable[[], int]) -> None:
    SWEEP_STEPS[name] = step


def lease_hold(*, holder: str, now: datetime | None = None) -> bool:
    """Renew the lease, or take it if it lapsed; True while `holder` has it. Creates the row the first time."""
    now = now or timezone.now()
    mine_or_lapsed = Q(holder=holder) | Q(expires_at__lte=now)
    if ClockLease.objects.filter(mine_or_lapsed, name=LEASE_NAME).update(holder=holder, expires_at=now + LEASE):
        return True
    _, created = ClockLease.objects.get_or_create(
        name=LEASE_NAME, defaults={"holder": holder, "expires_at": now + LEASE}
    )
    return created


def lease_release(*, holder: str) -> None:
    """A loop that stops hands the lease over at once instead of letting it lapse."""
    ClockLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=timezone.now())


class ClockLoop:
    """One loop: until `stop` is set, hold the lease and run the steps, or wait as a standby."""

    def __init__(self, *, stop: threading.Event, steps: dict[str, Callable[[], int]] | None = None):
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop, self.steps = stop, SWEEP_STEPS if steps is None else steps
        self.failures, self.acted = 0, 0

    def run(self) -> int:
        """Returns the actions taken; on stop, gives up the lease."""
        while not self.stop.is_set():
            self.stop.wait(self.tick())
        with contextlib.suppress(DatabaseError):  # stopping while the database is down: the lease lapses by itself
            lease_release(holder=self.holder)
        return self.acted

    def thread(self) -> threading.Thread:
        """A thread of its own that runs this loop and closes the thread's database connections when it ends."""

        def run() -> None:
            try:
                self.run()
            finally:
                connections.close_all()

        return threading.Thread(target=run, name="clock", daemon=True)

    def tick(self) -> float:
        """Run the steps once if this loop holds the lease; returns how long to wait before the next tick."""
        started = time.monotonic()
        try:
            for name, step in self.steps.items():
                if self.stop.is_set() or not lease_hold(holder=self.holder):
                    break
                self._run_step(name, step)
        except DatabaseError:
            return self._back_off()
        self.failures = 0
        return max(INTERVAL - (time.monotonic() - started), 0)

    def _run_step(self, name: str, step: Callable[[], int]) -> None:
        try:
            self.acted += step()
        except DatabaseError:
            raise
        except Exception:
            logger.exception("Clock: the %s step failed; the next tick runs it again", name)

    def _back_off(self) -> float:
        self.failures += 1
        wait = min(2.0 ** (self.failures - 1), BACKOFF_LONGEST)
        logger.warning(
            "Clock: the database failed (attempt %s); retrying in %.0f s", self.failures, wait, exc_info=True
        )
        close_old_connections()
        return wait
