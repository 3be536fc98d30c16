"""Time every report page in-process at the seeded volume, and compare database sizes (benchmark_desk's machinery)."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from devtools.management.commands import benchmark_desk
from devtools.volume import AGENT_NAME, MANAGER_NAME

PAGES = ["overview", "escalations", "sla", "accounts", "quality", "reviews"]
AGENT_PAGES = ["overview", "escalations", "sla"]

HELP = """Time every report page (the last 30 days beside the 30 before, the default) with the test client,
in-process (DEBUG off): warm-up requests, then the median and p90 of --runs requests, and the queries of one
request. Targets: <= 40 queries and <= 1000 ms median per page (--target changes one); the command exits 1 when one
is missed. Pages as the volume manager, the main ones also as an L1 agent (scoped to their team), and the tickets
behind the overview's escalated figure.

Without --sizes it measures the database as it is. Seed it first:
  manage.py import_escalation_config && manage.py seed_volume --tickets 100000

With --sizes 10000,100000 it builds one throwaway database per size and times each in alternating rounds,
exactly as benchmark_desk does (see `manage.py benchmark_desk --help`); with DATABASE_URL set, on PostgreSQL."""


class Command(benchmark_desk.Command):
    help = HELP
    benchmark = "benchmark_reports"
    targets = {"page_ms": 1000.0, "page_queries": 40}

    def measure_pages(self, *, runs: int, warmup: int) -> list[benchmark_desk.Measure]:
        return measure_report_pages(runs=runs, warmup=warmup)


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
    vacuum_after_bulk_load()
    pages = [(f"reports {name} · manager", "page", manager, reverse(f"reporting:{name}")) for name in PAGES]
    pages += [(f"reports {name} · L1 agent", "page", agent, reverse(f"reporting:{name}")) for name in AGENT_PAGES]
    escalated = reverse("reporting:tickets") + "?metric=escalated"
    pages.append(("reports tickets behind · manager", "page", manager, escalated))
    return benchmark_desk.measure_as_served(pages, runs=runs, warmup=warmup)
