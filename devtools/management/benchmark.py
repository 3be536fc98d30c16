"""What every benchmark command shares: one percentile, targets beside each benchmark, one table, a failing exit.

A benchmark turns its figures into rows; each row's checks compare a figure with its target (the most it may be).
`conclude` prints the table, writes the rows as JSON for `manage.py bench`, and raises CommandError (exit 1) when a
target is missed, so a slower desk fails the run instead of printing a figure nobody reads.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile interpolated between the closest ranks: PostgreSQL's percentile_cont, as the reports use."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def median(values: list[float]) -> float:
    return percentile(values, 50)


def timed(work):
    """(milliseconds, result) of calling work()."""
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


@dataclass
class Check:
    figure: str  # e.g. "median"
    value: float
    target: float  # the most it may be
    unit: str = "ms"  # "" for counts and ratios

    @property
    def met(self) -> bool:
        return self.value <= self.target

    def __str__(self) -> str:
        value = f"{self.value:.1f}" if self.unit == "ms" else f"{self.value:.3g}"
        return f"{self.figure} {value}{' ' * bool(self.unit)}{self.unit} ≤ {self.target:g}"


@dataclass
class Row:
    benchmark: str
    measure: str
    checks: list[Check] = field(default_factory=list)
    figures: str = ""  # what else was measured, shown beside the checks
    error: str = ""

    @property
    def met(self) -> bool:
        return not self.error and all(check.met for check in self.checks)

    @property
    def result(self) -> str:
        if self.error:
            return f"error: {self.error}"
        if not self.checks:
            return "no target"
        return "target met" if self.met else "target missed"

    @classmethod
    def from_dict(cls, data: dict) -> "Row":
        return cls(**data | {"checks": [Check(**check) for check in data["checks"]]})


# --- targets, overridable per run ----------------------------------------------------------------------------------


def add_target_arguments(parser: CommandParser, targets: dict[str, float]) -> None:
    defaults = ", ".join(f"{name}={limit:g}" for name, limit in targets.items())
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        dest="target_overrides",
        metavar="NAME=LIMIT",
        help=f"Override a target (repeatable). Targets: {defaults}.",
    )
    parser.add_argument("--json", type=Path, dest="json_out", metavar="FILE", help="Also write the rows here.")


def targets_with(defaults: dict[str, float], overrides: list[str]) -> dict[str, float]:
    targets = dict(defaults)
    for override in overrides:
        name, _, limit = override.partition("=")
        if name not in targets:
            raise CommandError(f"--target {override!r}: the targets here are {', '.join(targets)}.")
        try:
            targets[name] = float(limit)
        except ValueError:
            raise CommandError(f"--target {override!r}: the limit must be a number, e.g. {name}=1.5.") from None
    return targets


# --- the table and the verdict ---------------------------------------------------------------------------------------


COLUMNS = ("benchmark", "measure", "checked against its target", "result", "also measured")


def print_table(command: BaseCommand, rows: list[Row]) -> None:
    cells = [(r.benchmark, r.measure, " · ".join(map(str, r.checks)) or "—", r.result, r.figures) for r in rows]
    widths = [max(len(line[column]) for line in [COLUMNS, *cells]) for column in range(len(COLUMNS) - 1)]
    styles = [command.style.MIGRATE_HEADING] + [command.style.SUCCESS if r.met else command.style.ERROR for r in rows]
    for style, line in zip(styles, [COLUMNS, *cells], strict=True):
        text = "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1]
        command.stdout.write(style(text.rstrip()))


def conclude(command: BaseCommand, rows: list[Row], json_out: Path | None) -> None:
    """Print the table, write the rows, and fail (exit 1) if any target is missed or any measure failed."""
    print_table(command, rows)
    if json_out:
        json_out.write_text(json.dumps([asdict(row) for row in rows], indent=2))
    missed = [row.measure for row in rows if not row.met]
    if missed:
        raise CommandError(f"{len(missed)} of {len(rows)} rows missed their target or failed: " + "; ".join(missed))


# --- throwaway databases, and commands run in them -----------------------------------------------------------------


def run_manage(command: BaseCommand, arguments: list[str], env: dict | None) -> int:
    """Run `manage.py <arguments>` in env (default: this one), relaying its output line by line; its exit code."""
    started = time.monotonic()
    env = (env or os.environ) | {"PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
    with subprocess.Popen(manage, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        for line in child.stdout:
            command.stdout.write("  " + line.rstrip())
    command.stdout.write(f"  ({arguments[0]}: {time.monotonic() - started:.1f} s, exit {child.returncode})")
    return child.returncode


def run_manage_or_fail(command: BaseCommand, arguments: list[str], env: dict) -> None:
    if run_manage(command, arguments, env):
        raise CommandError(f"`manage.py {' '.join(arguments)}` failed.")


def seed_throwaway(command: BaseCommand, database: "ThrowawayDatabase", env: dict, *, tickets: int, days: float,
                   seed: int = 42, analyze: bool = True) -> None:  # fmt: skip
    """Migrate, load the escalation config and, when tickets > 0, seed_volume them over the last days."""
    command.stdout.write(command.style.MIGRATE_HEADING(f"== {tickets} tickets over {days:g} days: {database}"))
    steps = [["migrate", "--noinput", "-v0"], ["import_escalation_config"]]
    if tickets:
        seeding = ["seed_volume", "--tickets", str(tickets), "--days", f"{days:g}", "--seed", str(seed)]
        steps.append(seeding + ([] if analyze else ["--no-analyze"]))
    for step in steps:
        run_manage_or_fail(command, step, env)


class ThrowawayDatabase:
    """A fresh SQLite file, or a fresh PostgreSQL database when DATABASE_URL is set; the environment to reach it."""

    def __init__(self, folder: Path, label: str | int, *, keep: bool = False):
        self.url = os.environ.get("DATABASE_URL", "").strip()
        self.keep = keep
        self.path = (Path(tempfile.gettempdir()) if keep else folder) / f"desk-benchmark-{label}.sqlite3"
        self.name = f"{urlsplit(self.url).path.lstrip('/') or 'desk'}_bench_{label}" if self.url else ""

    def __str__(self) -> str:
        return f"PostgreSQL database {self.name}" if self.url else f"SQLite {self.path}"

    def __enter__(self) -> dict:
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "devtools.benchmark_settings", "PYTHONUNBUFFERED": "1"}
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
