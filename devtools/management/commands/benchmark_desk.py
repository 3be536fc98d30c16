"""Time the queue and ticket pages in-process, and compare them across database sizes."""

import json
import re
import tempfile
import time
import warnings
from argparse import RawDescriptionHelpFormatter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from devtools.management.benchmark import (
    Check,
    Row,
    ThrowawayDatabase,
    add_target_arguments,
    conclude,
    median,
    percentile,
    print_table,
    run_manage_or_fail,
    seed_throwaway,
    targets_with,
    timed,
)
from devtools.volume import AGENT_NAME, MANAGER_NAME, events_ticket
from escalations.models import Ticket

TICKET_LINK = re.compile(r'href="/tickets/SUP-(\d+)/"')
TIMELINE_ENTRY = re.compile(r'<li class="timeline-')

HELP = """Time the queue page (50 rows) and the ticket page of the seeded 50-event ticket with the test client,
in-process (DEBUG off): warm-up requests, then the median and p90 of --runs requests, and the queries of one request.
Targets: queue <= 15 queries and <= 35 ms median, ticket page <= 20 queries and <= 25 ms median (--target changes
one); the command exits 1 when one is missed.
"cpu" is this process's CPU time (SQLite's work included, PostgreSQL's server not): steadier than wall time
when other processes share the machine. "rows" counts the queue's ticket rows or the ticket's timeline entries.

Without --sizes it measures the database as it is. Seed it first:
  manage.py import_escalation_config && manage.py seed_volume --tickets 100000

With --sizes 1000,100000 it builds one throwaway database per size (migrate, import_escalation_config,
seed_volume, each in a subprocess), then times every size with this command in --rounds alternating rounds, so
background load hits every size alike, and judges every figure and the queue's median at the largest size divided
by its median at the smallest (target ratio <= 1.5: the queue reads an index, not the table).
SQLite files go to a temporary folder (settings devtools.benchmark_settings, $BENCHMARK_SQLITE); with
DATABASE_URL set, each size gets its own PostgreSQL database <name>_bench_<size>, created and dropped here.
Smaller sizes are spread over proportionally fewer days (the largest over --days), so every size has the same
tickets per day and a full first page of open tickets; --same-days spreads every size over --days."""


@dataclass
class Measure:
    """One page's timings; `kind` names its targets (<kind>_ms on the median, <kind>_queries)."""

    page: str
    kind: str
    tickets: int
    queries: int = 0
    items: int = 0
    error: str = ""
    timings: list[float] = field(default_factory=list)
    cpu_timings: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return median(self.timings)

    def row(self, benchmark: str, targets: dict[str, float]) -> Row:
        name = f"{self.page} · {self.tickets} tickets"
        if self.error:
            return Row(benchmark, name, error=self.error)
        checks = [
            Check("median", self.median_ms, targets[f"{self.kind}_ms"]),
            Check("queries", self.queries, targets[f"{self.kind}_queries"], unit=""),
        ]
        rows = f" · {self.items} rows" if self.kind in ("queue", "ticket") else ""
        figures = (
            f"p90 {percentile(self.timings, 90):.1f} ms · cpu {median(self.cpu_timings):.1f} ms{rows} · "
            f"{len(self.timings)} requests"
        )
        return Row(benchmark, name, checks, figures)


class Command(BaseCommand):
    help = HELP
    benchmark = "benchmark_desk"
    targets = {"queue_ms": 35.0, "queue_queries": 15, "ticket_ms": 25.0, "ticket_queries": 20, "ratio": 1.5}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        return super().create_parser(prog_name, subcommand, formatter_class=RawDescriptionHelpFormatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=15, help="Timed requests per page (default 15).")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed requests first (default 3).")
        parser.add_argument("--sizes", default="", help="e.g. 1000,100000: one throwaway database per size.")
        parser.add_argument("--days", type=float, default=90, help="--sizes: days the largest size spans.")
        parser.add_argument("--same-days", action="store_true", help="--sizes: spread every size over --days.")
        parser.add_argument("--rounds", type=int, default=3, help="--sizes: alternating timing rounds (default 3).")
        parser.add_argument("--seed", type=int, default=42, help="--sizes: random seed for seed_volume.")
        parser.add_argument("--no-analyze", action="store_true", help="--sizes: seed without ANALYZE afterwards.")
        parser.add_argument("--keep", action="store_true", help="--sizes: keep the databases afterwards.")
        parser.add_argument(
            "--timings",
            type=Path,
            dest="timings_out",
            metavar="FILE",
            help="Write every request's timing here and judge nothing (one round of --sizes: its caller judges).",
        )
        add_target_arguments(parser, self.targets)

    def handle(self, *args, runs: int, warmup: int, sizes: str, json_out: Path | None, timings_out: Path | None,
               target_overrides: list[str], **options) -> None:  # fmt: skip
        if runs < 1 or warmup < 0 or options["rounds"] < 1:
            raise CommandError("--runs and --rounds must be at least 1, --warmup 0 or more.")
        targets = targets_with(self.targets, target_overrides)
        if sizes:
            measures = self.compare_sizes(_sizes(sizes), runs=runs, warmup=warmup, **options)
        else:
            measures = self.measure_pages(runs=runs, warmup=warmup)
        rows = [measure.row(self.benchmark, targets) for measure in measures] + self.ratio_rows(measures, targets)
        if timings_out:
            timings_out.write_text(json.dumps([asdict(measure) for measure in measures]))
            print_table(self, rows)
            return
        conclude(self, rows, json_out)

    def measure_pages(self, *, runs: int, warmup: int) -> list["Measure"]:
        return measure_pages(runs=runs, warmup=warmup)

    def compare_sizes(self, sizes: list[int], *, runs: int, warmup: int, rounds: int, days: float, same_days: bool,
                      seed: int, no_analyze: bool, keep: bool, **options) -> list[Measure]:  # fmt: skip
        """Seed every size first, then time them in alternating rounds, so background load hits every size alike."""
        with tempfile.TemporaryDirectory(prefix="desk-benchmark-") as folder, ExitStack() as databases:
            envs = {}
            for size in sizes:
                span = days if same_days else max(days * size / max(sizes), 0.5)
                database = ThrowawayDatabase(Path(folder), size, keep=keep)
                envs[size] = databases.enter_context(database)
                seed_throwaway(self, database, envs[size], tickets=size, days=span, seed=seed, analyze=not no_analyze)
            rounds_out: dict[int, list[list[Measure]]] = {size: [] for size in sizes}
            for number in range(1, rounds + 1):
                for size in sizes:
                    out = Path(folder) / f"timings-{size}-{number}.json"
                    timing = [self.benchmark, "--runs", str(runs), "--warmup", str(warmup), "--timings", str(out)]
                    self.stdout.write(self.style.MIGRATE_HEADING(f"== round {number}/{rounds}, {size} tickets"))
                    run_manage_or_fail(self, timing, envs[size])
                    rounds_out[size].append([Measure(**figures) for figures in json.loads(out.read_text())])
        self.stdout.write(self.style.MIGRATE_HEADING(f"== all rounds: {rounds} × {runs} timed requests per page"))
        return [merged(list(same_page)) for size in sizes for same_page in zip(*rounds_out[size], strict=True)]

    def ratio_rows(self, measures: list[Measure], targets: dict[str, float]) -> list[Row]:
        """Each queue page's median at the largest size ÷ at the smallest, when sizes were compared."""
        rows = []
        for page in dict.fromkeys(m.page for m in measures if m.kind == "queue" and "ratio" in targets):
            at = {m.tickets: m for m in measures if m.page == page}
            if len(at) < 2:
                continue
            low, high = at[min(at)], at[max(at)]
            name = f"{page} · {high.tickets} ÷ {low.tickets} tickets"
            if low.error or high.error:
                rows.append(Row(self.benchmark, name, error=low.error or high.error))
                continue
            ratio = high.median_ms / low.median_ms
            figures = f"median {high.median_ms:.1f} ms ÷ {low.median_ms:.1f} ms"
            rows.append(Row(self.benchmark, name, [Check("ratio", ratio, targets["ratio"], unit="")], figures))
        return rows


# --- measuring the pages of the current database -----------------------------------------------------------------


def measure_pages(*, runs: int, warmup: int) -> list[Measure]:
    User = get_user_model()
    manager = User.objects.filter(username=MANAGER_NAME).first()
    agent = User.objects.filter(username=AGENT_NAME.format(level=1, index=1)).first()
    ticket = events_ticket()
    if not (manager and agent and ticket):
        raise CommandError("No seeded volume here: run `manage.py seed_volume --tickets N` first.")
    detail = reverse("escalations:ticket", args=[ticket.number])
    pages = [
        ("queue · all open · manager", "queue", manager, reverse("escalations:queue") + "?scope=all"),
        ("queue · team · L1 agent", "queue", agent, reverse("escalations:queue") + "?scope=team"),
        (f"ticket {ticket.reference} · manager", "ticket", manager, detail),
        (f"ticket {ticket.reference} · L1 agent", "ticket", agent, detail),
    ]
    return measure_as_served(pages, runs=runs, warmup=warmup)


def measure_as_served(pages: list[tuple[str, str, object, str]], *, runs: int, warmup: int) -> list[Measure]:
    """Each (name, kind, user, url) measured as production serves it: DEBUG off, the test client in-process."""
    tickets = Ticket.objects.count()
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    # The in-process client speaks plain HTTP, even where production settings redirect it to HTTPS.
    with override_settings(ALLOWED_HOSTS=hosts, DEBUG=False, SECURE_SSL_REDIRECT=False), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, before collectstatic
        return [measure_page(Measure(name, kind, tickets), user, url, runs, warmup) for name, kind, user, url in pages]


def measure_page(measure: Measure, user, url: str, runs: int, warmup: int) -> Measure:
    """Warm up, count the queries of one request, then time `runs` requests (without capturing queries)."""
    client = Client()
    client.force_login(user)
    try:
        for _ in range(warmup):
            _get(client, url)
        with CaptureQueriesContext(connection) as captured:
            content = _get(client, url)
        measure.queries = len(captured)  # now: the next request clears the connection's query log
        for _ in range(runs):
            cpu_started = time.process_time()
            milliseconds, _ = timed(lambda: _get(client, url))
            measure.timings.append(milliseconds)
            measure.cpu_timings.append((time.process_time() - cpu_started) * 1000)
    except Exception as exc:  # a broken page is reported in the table; the others are still timed
        return replace(measure, error=f"{type(exc).__name__}: {exc}")
    if measure.kind == "queue":
        measure.items = len(set(TICKET_LINK.findall(content)))
    elif measure.kind == "ticket":
        measure.items = len(TIMELINE_ENTRY.findall(content))
    return measure


def merged(rounds: list[Measure]) -> Measure:
    """One page at one size over every round: all its timed requests together."""
    errors = [m.error for m in rounds if m.error]
    if errors:
        return replace(rounds[0], error=errors[0])
    return replace(
        rounds[0],
        queries=max(m.queries for m in rounds),
        timings=[timing for m in rounds for timing in m.timings],
        cpu_timings=[timing for m in rounds for timing in m.cpu_timings],
    )


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return response.content.decode()


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--sizes takes whole numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise CommandError("--sizes needs at least one size of 1 or more.")
    return sizes
