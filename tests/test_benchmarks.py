"""Benchmarks judge their figures against targets kept beside them, with one percentile, and fail when one is missed."""

import json
import statistics
from importlib import import_module
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.management.benchmark import Check, Row, percentile, targets_with
from devtools.volume import seed_volume
from escalations.management import role_groups_sync

bench = import_module("devtools.management.commands.bench")


def test_percentiles_interpolate_between_the_closest_ranks_as_the_reports_do():
    # p90 of 10, 20, 30, 40: rank 0.9 × 3 = 2.7, so 70 % of the way from 30 to 40.
    assert percentile([40, 10, 30, 20], 90) == pytest.approx(37)
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([7.0], 95) == 7.0
    assert percentile([3, 1, 2, 9], 95) == statistics.quantiles([3, 1, 2, 9], n=100, method="inclusive")[94]


def test_a_row_misses_its_target_when_any_figure_is_above_it():
    row = Row("b", "page", [Check("median", 10, 35), Check("queries", 16, 15, unit="")])
    assert not row.met and row.result == "target missed"
    assert Row("b", "page", [Check("median", 35, 35)]).result == "target met"
    assert Row("b", "page", error="HTTP 500").result == "error: HTTP 500"


def test_it_overrides_a_target_and_refuses_one_it_does_not_know():
    assert targets_with({"queue_ms": 35.0}, ["queue_ms=50"]) == {"queue_ms": 50.0}
    with pytest.raises(CommandError, match="the targets here are queue_ms"):
        targets_with({"queue_ms": 35.0}, ["queues_ms=50"])
    with pytest.raises(CommandError, match="must be a number"):
        targets_with({"queue_ms": 35.0}, ["queue_ms=fast"])


@pytest.fixture
def volume(db):
    role_groups_sync()  # what a migrate gives the role groups, whatever an earlier test left
    call_command("import_escalation_config", stdout=StringIO())
    seed_volume(tickets=60, days=2)


def test_benchmark_desk_fails_when_a_page_misses_its_target(volume, tmp_path):
    out, targets = StringIO(), ["queue_ms=0", "ticket_ms=60000"]  # the ticket page's time is no wall-clock assert
    with pytest.raises(CommandError, match="2 of 4 rows missed"):
        call_command("benchmark_desk", runs=1, warmup=0, target_overrides=targets, json_out=tmp_path / "r", stdout=out)
    assert out.getvalue().count("target missed") == 2
    rows = [Row.from_dict(row) for row in json.loads((tmp_path / "r").read_text())]
    assert [row.met for row in rows] == [False, False, True, True]


def test_benchmark_reports_fails_when_a_report_makes_too_many_queries(volume, monkeypatch):
    reports = import_module("devtools.management.commands.benchmark_reports")
    monkeypatch.setattr(reports, "vacuum_after_bulk_load", lambda: None)  # VACUUM cannot run in the test's transaction
    with pytest.raises(CommandError, match="10 of 10 rows missed"):
        call_command("benchmark_reports", runs=1, warmup=0, target_overrides=["page_queries=0"], stdout=StringIO())


def test_benchmark_templates_fails_when_the_simulation_misses_its_target(volume):
    with pytest.raises(CommandError, match="1 of 1 rows missed"):
        call_command("benchmark_templates", tickets=10, days=2, repeat=1, target_overrides=["simulation_s=0"])


def test_bench_takes_one_commands_target_and_refuses_a_target_without_its_command():
    assert bench._overrides(["benchmark_desk:queue_ms=50"]) == {"benchmark_desk": ["--target", "queue_ms=50"]}
    with pytest.raises(CommandError, match="COMMAND:NAME=LIMIT"):
        call_command("bench", target=["queue_ms=50"])


def test_the_clock_lateness_run_fails_when_the_clock_left_a_deadline_unacted():
    lateness_row = import_module("devtools.management.commands.benchmark_clock")._lateness_row
    assert lateness_row([0.2, 0.4, 0.9], 3, 1.0).result == "target met"
    assert lateness_row([0.2, 0.4], 3, 1.0).result == "error: the clock acted on 2 of them within the wait"
