"""Every benchmark at a small size on throwaway databases, in one table; exit 1 when a target is missed."""

import json
import tempfile
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.management.benchmark import Row, ThrowawayDatabase, conclude, run_manage, seed_throwaway


def _plan(small: int, large: int) -> list[tuple[str, list[str]]]:
    """(database, command): "own" builds its own databases, "large" is seeded with `large` tickets over 30 days
    (so the simulation replays exactly that many), "clock" holds a little volume for the real cluster."""
    return [
        ("own", ["benchmark_desk", "--sizes", f"{small},{large}", "--days", "30", "--rounds", "2", "--runs", "10"]),
        ("large", ["benchmark_reports", "--runs", "5", "--warmup", "1"]),
        ("large", ["benchmark_clock", "--sweep-cost", "--due", "0,232", "--repeat", "3"]),
        ("large", ["benchmark_templates", "--tickets", str(large), "--days", "30", "--repeat", "3"]),
        ("clock", ["benchmark_clock", "--tickets", "20", "--spread", "10"]),
    ]


class Command(BaseCommand):
    help = (
        "Run every benchmark (desk pages and their size ratio, report pages, clock sweep and lateness, template "
        "simulation) at a small size on throwaway databases (SQLite; PostgreSQL with DATABASE_URL), print one table "
        "and exit 1 when a target is missed. `make bench` runs it; it fits in about 5 minutes on 2 cores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small", type=int, default=1000, help="Tickets of the small database (default 1000).")
        parser.add_argument("--large", type=int, default=10000, help="Tickets of the large one (default 10000).")
        parser.add_argument(
            "--target",
            action="append",
            default=[],
            metavar="COMMAND:NAME=LIMIT",
            help="Override one command's target, e.g. benchmark_desk:queue_ms=50 (see each command's --help).",
        )

    def handle(self, *args, small: int, large: int, target: list[str], **options) -> None:
        if not 1 <= small < large:
            raise CommandError("--small must be at least 1 and below --large.")
        overrides = _overrides(target)
        with tempfile.TemporaryDirectory(prefix="desk-bench-") as folder, ExitStack() as databases:
            envs: dict[str, dict | None] = {"own": None}
            for name, tickets, days in (("large", large, 30), ("clock", 100, 1)):
                database = ThrowawayDatabase(Path(folder), name)
                envs[name] = databases.enter_context(database)
                seed_throwaway(self, database, envs[name], tickets=tickets, days=days)
            rows = []
            for number, (database_name, arguments) in enumerate(_plan(small, large)):
                out = Path(folder) / f"rows-{number}.json"
                arguments = [*arguments, *overrides.get(arguments[0], []), "--json", str(out)]
                rows += self.run_benchmark(arguments, envs[database_name], out)
        self.stdout.write(self.style.MIGRATE_HEADING("== every benchmark"))
        conclude(self, rows, None)

    def run_benchmark(self, arguments: list[str], env: dict | None, out: Path) -> list[Row]:
        self.stdout.write(self.style.MIGRATE_HEADING(f"== {' '.join(arguments[:-2])}"))
        code = run_manage(self, arguments, env)
        if not out.exists():  # it stopped before measuring: one row says so, and the run fails
            return [Row(arguments[0], " ".join(arguments[1:-2]), error=f"exit {code} before any figure")]
        return [Row.from_dict(row) for row in json.loads(out.read_text())]


def _overrides(targets: list[str]) -> dict[str, list[str]]:
    overrides: dict[str, list[str]] = {}
    for override in targets:
        command, colon, target = override.partition(":")
        if not colon or "=" not in target:
            raise CommandError(f"--target {override!r}: write COMMAND:NAME=LIMIT, e.g. benchmark_desk:queue_ms=50.")
        overrides.setdefault(command, []).extend(["--target", target])
    return overrides
