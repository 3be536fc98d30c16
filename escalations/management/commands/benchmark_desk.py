"""Time the queue and ticket pages in-process, and compare them across database sizes."""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from argparse import RawDescriptionHelpFormatter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from escalations.models import Ticket
from escalations.volume import AGENT_NAME, MANAGER_NAME, events_ticket

QUEUE_TARGET = (15, 35.0)  # queries, median ms
DETAIL_TARGET = (20, 25.0)
RATIO_TARGET = 1.5
TICKET_LINK = re.compile(r'href="/tickets/SUP-(\d+)/"')
TIMELINE_ENTRY = re.compile(r'<li class="timeline-')

HELP = """Time the queue page (50 rows) and the ticket page of the seeded 50-event ticket with the test client,
in-process (DEBUG off): warm-up requests, then the median and p90 of --runs requests, and the queries of one request.
Targets: queue <= 15 queries and <= 35 ms median, ticket page <= 20 queries and <= 25 ms median.
"cpu ms" is this process's CPU time (SQLite's work included, PostgreSQL's server not): steadier than wall time
when other processes share the machine. "rows" counts the queue's ticket rows or the ticket's timeline entries.

Without --sizes it measures the database as it is. Seed it first:
  manage.py import_escalation_config && manage.py seed_volume --tickets 100000

With --sizes 1000,100000 it builds one throwaway database per size (migrate, import_escalation_config,
seed_volume, each in a subprocess), then times every size with this command in --rounds alternating rounds, so
background load hits every size alike, and prints every figure and the queue's median at the largest size divided
by its median at the smallest (target <= 1.5: the queue reads an index, not the table).
SQLite files go to a temporary folder (settings escalations.benchmark_settings, $BENCHMARK_SQLITE); with
DATABASE_URL set, each size gets its own PostgreSQL database <name>_bench_<size>, created and dropped here.
Smaller sizes are spread over proportionally fewer days (the largest over --days), so every size has the same
tickets per day and a full first page of open tickets; --same-days spreads every size over --days."""


@dataclass
class Measure:
    page: str
    tickets: int
    median_ms: float
    p90_ms: float
    queries: int
    items: int
    max_queries: int
    max_ms: float
    error: str = ""
    cpu_ms: float = 0.0
    timings: list[float] = field(default_factory=list)
    cpu_timings: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.error and self.queries <= self.max_queries and self.median_ms <= self.max_ms


class Command(BaseCommand):
    help = HELP

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
        parser.add_argument("--json", type=Path, dest="json_out", metavar="FILE", help="Also write the figures here.")

    def handle(self, *args, runs: int, warmup: int, sizes: str, json_out: Path | None, **options) -> None:
        if runs < 1 or warmup < 0 or options["rounds"] < 1:
            raise CommandError("--runs and --rounds must be at least 1, --warmup 0 or more.")
        if sizes:
            measures = self.compare_sizes(_sizes(sizes), runs=runs, warmup=warmup, **options)
        else:
            measures = measure_pages(runs=runs, warmup=warmup)
            self.print_table(measures)
        if json_out:
            json_out.write_text(json.dumps([asdict(m) for m in measures], indent=2))
        if any(m.error for m in measures):
            raise CommandError("A page failed: " + "; ".join(f"{m.page}: {m.error}" for m in measures if m.error))

    def print_table(self, measures: list["Measure"]) -> None:
        self.stdout.write(
            f"{'page':<34} {'tickets':>8} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>7} {'queries':>8} {'rows':>5}  result"
        )
        for m in measures:
            result = f"ERROR {m.error}" if m.error else "PASS" if m.passed else "FAIL"
            target = f"(<= {m.max_queries} queries, <= {m.max_ms:g} ms)"
            line = (
                f"{m.page:<34} {m.tickets:>8} {m.median_ms:>10.1f} {m.p90_ms:>8.1f} {m.cpu_ms:>7.1f} {m.queries:>8} "
                f"{m.items:>5}  "
            )
            self.stdout.write(line + (self.style.SUCCESS if m.passed else self.style.ERROR)(f"{result} {target}"))

    def compare_sizes(self, sizes: list[int], *, runs: int, warmup: int, rounds: int, days: float, same_days: bool,
                      seed: int, no_analyze: bool, keep: bool, **options) -> list[Measure]:  # fmt: skip
        """Seed every size first, then time them in alternating rounds, so background load hits every size alike."""
        with tempfile.TemporaryDirectory(prefix="desk-benchmark-") as folder, ExitStack() as databases:
            envs = {}
            for size in sizes:
                span = days if same_days else max(days * size / max(sizes), 0.5)
                database = ThrowawayDatabase(Path(folder), size, keep=keep)
                envs[size] = databases.enter_context(database)
                self.stdout.write(self.style.MIGRATE_HEADING(f"== {size} tickets over {span:g} days: {database}"))
                seeding = ["seed_volume", "--tickets", str(size), "--days", f"{span:g}", "--seed", str(seed)]
                seeding += ["--no-analyze"] if no_analyze else []
                for step in (["migrate", "--noinput", "-v0"], ["import_escalation_config"], seeding):
                    self.run_manage(step, envs[size])
            rounds_out: dict[int, list[list[Measure]]] = {size: [] for size in sizes}
            for number in range(1, rounds + 1):
                for size in sizes:
                    out = Path(folder) / f"figures-{size}-{number}.json"
                    timing = ["benchmark_desk", "--runs", str(runs), "--warmup", str(warmup), "--json", str(out)]
                    self.stdout.write(self.style.MIGRATE_HEADING(f"== round {number}/{rounds}, {size} tickets"))
                    self.run_manage(timing, envs[size])
                    rounds_out[size].append([Measure(**figures) for figures in json.loads(out.read_text())])
        measures = [merged(list(same_page)) for size in sizes for same_page in zip(*rounds_out[size], strict=True)]
        self.stdout.write(self.style.MIGRATE_HEADING(f"== all rounds: {rounds} × {runs} timed requests per page"))
        self.print_table(measures)
        self.print_ratios(measures, sizes)
        return measures

    def run_manage(self, arguments: list[str], env: dict) -> None:
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
        started = time.monotonic()
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
            for line in child.stdout:
                self.stdout.write("  " + line.rstrip())
        if child.returncode:
            raise CommandError(f"`manage.py {' '.join(arguments)}` failed (exit {child.returncode}).")
        self.stdout.write(f"  ({arguments[0]}: {time.monotonic() - started:.1f} s)")

    def print_ratios(self, measures: list[Measure], sizes: list[int]) -> None:
        if len(sizes) < 2:
            return
        for page in dict.fromkeys(m.page for m in measures if m.page.startswith("queue")):
            at = {m.tickets: m for m in measures if m.page == page}
            low, high = at[min(at)], at[max(at)]
            if low.error or high.error:
                continue
            ratio = high.median_ms / low.median_ms
            verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
            self.stdout.write(
                f"{page}: {high.median_ms:.1f} ms at {high.tickets} ÷ {low.median_ms:.1f} ms at {low.tickets} = "
                f"{ratio:.2f} {verdict} (<= {RATIO_TARGET})"
            )


# --- measuring the pages of the current database -----------------------------------------------------------------


def measure_pages(*, runs: int, warmup: int) -> list[Measure]:
    User = get_user_model()
    manager = User.objects.filter(username=MANAGER_NAME).first()
    agent = User.objects.filter(username=AGENT_NAME.format(level=1, index=1)).first()
    ticket = events_ticket()
    if not (manager and agent and ticket):
        raise CommandError("No seeded volume here: run `manage.py seed_volume --tickets N` first.")
    tickets = Ticket.objects.count()
    detail = reverse("escalations:ticket", args=[ticket.number])
    pages = [
        ("queue · all open · manager", manager, reverse("escalations:queue") + "?scope=all", QUEUE_TARGET),
        ("queue · team · L1 agent", agent, reverse("escalations:queue") + "?scope=team", QUEUE_TARGET),
        (f"ticket {ticket.reference} · manager", manager, detail, DETAIL_TARGET),
        (f"ticket {ticket.reference} · L1 agent", agent, detail, DETAIL_TARGET),
    ]
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    # The in-process client speaks plain HTTP, even where production settings redirect it to HTTPS.
    with override_settings(ALLOWED_HOSTS=hosts, DEBUG=False, SECURE_SSL_REDIRECT=False), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, before collectstatic
        return [measure_page(name, user, url, target, tickets, runs, warmup) for name, user, url, target in pages]


def measure_page(name: str, user, url: str, target: tuple[int, float], tickets: int, runs: int, warmup: int):
    """Warm up, count the queries of one request, then time `runs` requests (without capturing queries)."""
    client = Client()
    client.force_login(user)
    figures = {"page": name, "tickets": tickets, "max_queries": target[0], "max_ms": target[1]}
    try:
        for _ in range(warmup):
            _get(client, url)
        with CaptureQueriesContext(connection) as captured:
            content = _get(client, url)
        queries = len(captured)  # now: the next request clears the connection's query log
        timings, cpu_timings = [], []
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            _get(client, url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.process_time() - cpu_started) * 1000)
    except Exception as exc:  # noqa: BLE001 -- a broken page is reported in the table; the others are still timed
        return Measure(**figures, median_ms=0, p90_ms=0, queries=0, items=0, error=f"{type(exc).__name__}: {exc}")
    pattern = TICKET_LINK if name.startswith("queue") else TIMELINE_ENTRY
    items = len(set(pattern.findall(content))) if pattern is TICKET_LINK else len(pattern.findall(content))
    figures |= {
        "median_ms": statistics.median(timings),
        "p90_ms": _p90(timings),
        "cpu_ms": statistics.median(cpu_timings),
    }
    return Measure(**figures, queries=queries, items=items, timings=timings, cpu_timings=cpu_timings)


def merged(rounds: list[Measure]) -> Measure:
    """One page at one size over every round: the median and p90 of all its timed requests."""
    errors = [m.error for m in rounds if m.error]
    if errors:
        return replace(rounds[0], error=errors[0])
    timings = [timing for m in rounds for timing in m.timings]
    cpu_timings = [timing for m in rounds for timing in m.cpu_timings]
    return replace(
        rounds[0],
        median_ms=statistics.median(timings),
        p90_ms=_p90(timings),
        cpu_ms=statistics.median(cpu_timings),
        queries=max(m.queries for m in rounds),
        timings=timings,
        cpu_timings=cpu_timings,
    )


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return response.content.decode()


def _p90(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--sizes takes whole numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise CommandError("--sizes needs at least one size of 1 or more.")
    return sizes


# --- one throwaway database per size -----------------------------------------------------------------------------


class ThrowawayDatabase:
    """A fresh SQLite file, or a fresh PostgreSQL database when DATABASE_URL is set; the environment to reach it."""

    def __init__(self, folder: Path, size: int, *, keep: bool):
        self.url = os.environ.get("DATABASE_URL", "").strip()
        self.keep, self.size = keep, size
        self.path = (Path(tempfile.gettempdir()) if keep else folder) / f"desk-benchmark-{size}.sqlite3"
        self.name = f"{urlsplit(self.url).path.lstrip('/') or 'desk'}_bench_{size}" if self.url else ""

    def __str__(self) -> str:
        return f"PostgreSQL database {self.name}" if self.url else f"SQLite {self.path}"

    def __enter__(self) -> dict:
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "escalations.benchmark_settings", "PYTHONUNBUFFERED": "1"}
        if self.url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')
            return env | {"DATABASE_URL": urlsplit(self.url)._replace(path=f"/{self.name}").geturl()}
        for stale in self.path.parent.glob(f"{self.path.name}*"):
            stale.unlink()
        return env | {"BENCHMARK_SQLITE": str(self.path)}

    def __exit__(self, *exc_info) -> None:
        if self.keep:
            return
        if self.url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for leftover in self.path.parent.glob(f"{self.path.name}*"):
                leftover.unlink()

    def _admin(self, *statements: str) -> None:
        import psycopg

        admin_url = urlsplit(self.url)._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)
