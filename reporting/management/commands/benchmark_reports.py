"""Time every report page in-process at the seeded volume, and compare database sizes (benchmark_desk's machinery)."""

import warnings

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse

from escalations.management.commands import benchmark_desk
from escalations.models import Ticket
from escalations.volume import AGENT_NAME, MANAGER_NAME

REPORT_TARGET = (40, 1000.0)  # queries, median ms
PAGES = ["overview", "escalations", "sla", "accounts", "quality", "reviews"]
AGENT_PAGES = ["overview", "escalations", "sla"]

HELP = """Time every report page (the last 30 days beside the 30 before, the default) with the test client,
in-process (DEBUG off): warm-up requests, then the median and p90 of --runs requests, and the queries of one
request. Target: <= 40 queries and < 1 s median per page. Pages as the volume manager, the main ones also as an
L1 agent (scoped to their team), and the tickets behind the overview's escalated figure.

Without --sizes it measures the database as it is. Seed it first:
  manage.py import_escalation_config && manage.py seed_volume --tickets 100000

With --sizes 10000,100000 it builds one throwaway database per size and times each in alternating rounds,
exactly as benchmark_desk does (see `manage.py benchmark_desk --help`); with DATABASE_URL set, on PostgreSQL."""


class Command(benchmark_desk.Command):
    help = HELP

    def handle(self, *args, runs: int, warmup: int, sizes: str, json_out, **options) -> None:
        if sizes:  # benchmark_desk seeds each size, then runs this command (see run_manage) in each database
            return super().handle(*args, runs=runs, warmup=warmup, sizes=sizes, json_out=json_out, **options)
        if runs < 1 or warmup < 0:
            raise CommandError("--runs must be at least 1, --warmup 0 or more.")
        measures = measure_report_pages(runs=runs, warmup=warmup)
        self.print_table(measures)
        if json_out:
            json_out.write_text(benchmark_desk.json.dumps([benchmark_desk.asdict(m) for m in measures], indent=2))
        if any(m.error for m in measures):
            raise CommandError("A page failed: " + "; ".join(f"{m.page}: {m.error}" for m in measures if m.error))

    def run_manage(self, arguments: list[str], env: dict) -> None:
        """The per-size timing rounds run this command, not the desk's."""
        if arguments[0] == "benchmark_desk":
            arguments = ["benchmark_reports", *arguments[1:]]
        super().run_manage(arguments, env)


def vacuum_after_bulk_load() -> None:
    """What autovacuum does soon after seed_volume's bulk load on PostgreSQL: without it the visibility map is
    empty and PostgreSQL cannot answer from the reports' covering indexes (index-only scans)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def measure_report_pages(*, runs: int, warmup: int) -> list[benchmark_desk.Measure]:
    User = get_user_model()
    manager = User.objects.filter(username=MANAGER_NAME).first()
    agent = User.objects.filter(username=AGENT_NAME.format(level=1, index=1)).first()
    if not (manager and agent):
        raise CommandError("No seeded volume here: run `manage.py seed_volume --tickets N` first.")
    tickets = Ticket.objects.count()
    vacuum_after_bulk_load()
    pages = [(f"reports {name} · manager", manager, reverse(f"reporting:{name}")) for name in PAGES]
    pages += [(f"reports {name} · L1 agent", agent, reverse(f"reporting:{name}")) for name in AGENT_PAGES]
    pages.append(("reports tickets behind · manager", manager, reverse("reporting:tickets") + "?metric=escalated"))
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    # The in-process client speaks plain HTTP, even where production settings redirect it to HTTPS.
    with override_settings(ALLOWED_HOSTS=hosts, DEBUG=False, SECURE_SSL_REDIRECT=False), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, before collectstatic
        return [
            benchmark_desk.measure_page(name, user, url, REPORT_TARGET, tickets, runs, warmup)
            for name, user, url in pages
        ]
