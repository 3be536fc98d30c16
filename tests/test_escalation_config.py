"""Escalation tiers and severities as a YAML file: import (all or nothing), export, and the round trip."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from escalations.configuration import EscalationConfig, parse_escalation_config
from escalations.domain.durations import DURATION_HINT, MAX_DURATION, format_duration, parse_duration
from escalations.models import EscalationCriterion, NotificationChannel, Severity, Tier
from escalations.services.configuration import (
    DEFAULT_CONFIG_PATH,
    EscalationConfigInvalid,
    ImportSummary,
    escalation_config_export,
    escalation_config_import,
)

SEED_PATH = Path(__file__).parent / "fixtures" / "seed_002_escalation_config.yaml"
SEED = SEED_PATH.read_text(encoding="utf-8")
ALIAS_BOMB = (Path(__file__).parent / "fixtures" / "yaml_alias_bomb.yaml").read_text(encoding="utf-8")


def seed_with(change: Callable[[dict], Any]) -> str:
    """The seed's config with one edit applied to its parsed form."""
    document = yaml.safe_load(SEED)
    change(document["escalation"])
    return yaml.safe_dump(document, sort_keys=False)


def import_config(document: str = SEED, source: str = "seed.yaml") -> ImportSummary:
    return escalation_config_import(document=document, source=source)


def history_rows() -> int:
    return sum(model.history.count() for model in (Tier, EscalationCriterion, Severity))


def desk_state() -> tuple:
    """Everything an import may touch, to show a rejected file changed nothing."""
    rows = tuple(model.objects.count() for model in (Tier, EscalationCriterion, Severity, Group))
    return escalation_config_export(), rows, history_rows()


def criteria_of(level: int) -> list[str]:
    active = EscalationCriterion.objects.filter(tier__level=level, is_active=True).order_by("position")
    return list(active.values_list("text", flat=True))


@pytest.mark.django_db
def test_it_imports_the_seed_tiers_with_their_slas_teams_and_criteria():
    import_config()

    tiers = {tier.level: tier for tier in Tier.objects.select_related("team")}
    assert sorted(tiers) == [1, 2, 3]
    assert (tiers[1].name, tiers[1].team.name) == ("Front-Line Support", "support-generalists")
    assert (tiers[2].team.name, tiers[3].team.name) == ("support-specialists", "engineering-oncall")
    assert [(t.first_response_sla, t.resolution_target) for t in tiers.values()] == [
        (timedelta(hours=4), timedelta(hours=24)),
        (timedelta(hours=2), timedelta(hours=8)),
        (timedelta(hours=1), timedelta(hours=4)),
    ]
    assert tiers[1].capabilities == ["known_issues", "how_to_questions", "account_management", "password_resets"]
    assert all(tier.is_active and tier.escalate_at_percent == 75 for tier in tiers.values())
    assert criteria_of(1) == [
        "Issue not in runbook or knowledge base",
        "Resolution requires backend access",
        "Customer requests escalation",
        "SLA at 75% elapsed without resolution path",
    ]
    assert criteria_of(2)[0] == "Issue requires code change"
    assert criteria_of(3) == []


@pytest.mark.django_db
def test_it_routes_p0_and_p1_to_l3_and_p2_to_l2_with_their_channels():
    import_config()

    severities = Severity.objects.select_related("route_to")
    routes = {s.code: (s.route_to.level, s.notification_channel, s.description) for s in severities}
    assert routes == {
        "P0": (3, NotificationChannel.PAGERDUTY, "Production outage affecting all customers"),
        "P1": (3, NotificationChannel.SLACK_ONCALL, "Production degradation or data integrity issue"),
        "P2": (2, NotificationChannel.SLACK_CHANNEL, "Feature broken for subset of customers"),
    }


@pytest.mark.django_db
def test_the_command_loads_the_default_config_when_no_file_is_given():
    call_command("import_escalation_config", stdout=StringIO())

    cadences = dict(Severity.objects.values_list("code", "customer_update_cadence"))
    assert cadences == {"P0": timedelta(minutes=30), "P1": timedelta(hours=2), "P2": timedelta(hours=24), "P3": None}
    p3 = Severity.objects.get(code="P3")
    assert (p3.route_to, p3.notification_channel) == (None, NotificationChannel.TICKET)
    assert p3.description == "Minor issue, question or cosmetic defect"
    assert Tier.objects.count() == 3


def test_the_default_config_is_the_seed_block_plus_p3_cadences_and_acknowledgement_timeouts():
    default = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    added = [line for line in default.splitlines() if line not in SEED.splitlines()]

    assert default.startswith("# Escalation Workflow Definition\nescalation:\n")
    assert added == [
        "      customer_update_cadence: 30m",
        "      acknowledgement_timeout: 5m",
        "      customer_update_cadence: 2h",
        "      acknowledgement_timeout: 5m",
        "      customer_update_cadence: 24h",
        "    - severity: P3",
        '      description: "Minor issue, question or cosmetic defect"',
        "      notification: ticket",
    ]


@pytest.mark.django_db
def test_it_updates_existing_tiers_in_place_and_reuses_their_teams(desk):
    teams_before = Group.objects.count()

    import_config()

    desk.l1.refresh_from_db()
    assert desk.l1.first_response_sla == timedelta(hours=4)
    assert Group.objects.count() == teams_before
    kept = EscalationCriterion.objects.get(tier=desk.l1, text="Resolution requires backend access")
    assert (kept.position, kept.is_active) == (2, True)


BAD_FILES = {
    "malformed duration": (
        lambda e: e["tiers"][1]["sla"].update(first_response="2x"),
        "escalation.tiers[1].sla.first_response: '2x' is not a duration",
    ),
    "zero duration": (
        lambda e: e["tiers"][0]["sla"].update(resolution_target="0h"),
        "escalation.tiers[0].sla.resolution_target: '0h' is not a duration between 1s and 8760h",
    ),
    "number instead of duration": (
        lambda e: e["tiers"][2]["sla"].update(first_response=60),
        "escalation.tiers[2].sla.first_response: 60 is not a duration",
    ),
    "route to a missing tier": (
        lambda e: e["severity_overrides"][0].update(route_to=7),
        "escalation.severity_overrides[0].route_to: no tier with level 7 in this file",
    ),
    "route to an inactive tier": (
        lambda e: e["tiers"][2].update(active=False),
        "escalation.severity_overrides[0].route_to: tier with level 3 is inactive in this file",
    ),
    "missing level": (lambda e: e["tiers"][0].pop("level"), "escalation.tiers[0].level: missing"),
    "level not a number": (
        lambda e: e["tiers"][0].update(level="one"),
        "escalation.tiers[0].level: expected a whole number from 1 to 32767, got 'one'",
    ),
    "duplicate level": (
        lambda e: e["tiers"][2].update(level=1),
        "escalation.tiers[2].level: duplicate level 1 (also escalation.tiers[0])",
    ),
    "duplicate severity": (
        lambda e: e["severity_overrides"][1].update(severity="P0"),
        "escalation.severity_overrides[1].severity: duplicate severity P0 (also escalation.severity_overrides[0])",
    ),
    "unknown severity": (
        lambda e: e["severity_overrides"][0].update(severity="P9"),
        "escalation.severity_overrides[0].severity: 'P9' is not a severity (expected one of P0, P1, P2, P3)",
    ),
    "unknown notification channel": (
        lambda e: e["severity_overrides"][2].update(notification="sms"),
        "escalation.severity_overrides[2].notification: 'sms' is not a notification channel",
    ),
    "unknown tier key": (
        lambda e: e["tiers"][0]["sla"].update(first_reponse="1h"),
        "escalation.tiers[0].sla.first_reponse: unknown key",
    ),
    "unknown top-level key": (lambda e: e.update(routing={}), "escalation.routing: unknown key"),
    "duplicate criterion": (
        lambda e: e["tiers"][1]["escalation_criteria"].append("Security-related issue"),
        "escalation.tiers[1].escalation_criteria[4]: duplicate of escalation.tiers[1].escalation_criteria[2]",
    ),
    "escalate_at out of range": (
        lambda e: e["tiers"][0].update(escalate_at=150),
        "escalation.tiers[0].escalate_at: expected a whole number from 1 to 100, got 150",
    ),
    "no tiers": (lambda e: e.update(tiers=[]), "escalation.tiers: at least one tier is required"),
    "tiers not a list": (lambda e: e.update(tiers={"level": 1}), "escalation.tiers: expected a list, got a mapping"),
}

BAD_DOCUMENTS = {
    "not YAML": ("escalation: [tiers\n", "document: not valid YAML"),
    "a list at the top": ("- escalation\n", "document: expected a mapping, got a list"),
    "empty file": ("", "document: expected a mapping, got nothing"),
    "no escalation key": ("tiers: []\n", "escalation: missing"),
    "a key given twice": (
        SEED + "  tiers: []\n",
        "document: not valid YAML at line 63, column 3 (duplicate key 'tiers')",
    ),
    "nested aliases (a YAML bomb)": (ALIAS_BOMB, "document: not valid YAML at line 1, column 4 (anchors (&name)"),
    "an anchor": (
        SEED.replace("  tiers:", "  tiers: &tiers", 1),
        "document: not valid YAML at line 3, column 10 (anchors",
    ),
    "a file over 1 MB": (SEED + "#" * 1024 * 1024, "document: larger than 1 MB"),
    "a NUL character": (
        SEED.replace('"Front-Line Support"', '"Front\\0Line"'),
        "document: not valid YAML at line 5, column 13 (this value contains a NUL character",
    ),
    "nesting 60 deep": ("escalation: " + "[" * 60 + "]" * 60, "document: not valid YAML at line 1, column 62 (nested"),
    "a date PyYAML cannot build": ("escalation: 0000-00-00\n", "escalation: expected a mapping, got '0000-00-00'"),
    "a tagged date": ("escalation: !!timestamp 2026-01-01\n", "document: not valid YAML at line 1, column 13 (tag:"),
}


def bad_document(case: str) -> tuple[str, str]:
    if case in BAD_FILES:
        change, error = BAD_FILES[case]
        return seed_with(change), error
    return BAD_DOCUMENTS[case]


@pytest.mark.django_db
@pytest.mark.parametrize("case", [*BAD_FILES, *BAD_DOCUMENTS])
def test_it_rejects_a_bad_file_naming_the_path_and_changes_nothing(case):
    document, error = bad_document(case)
    import_config(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    before = desk_state()

    with pytest.raises(EscalationConfigInvalid) as rejected:
        import_config(document)

    assert any(line.startswith(error) for line in rejected.value.errors), rejected.value.errors
    assert desk_state() == before


def test_it_rejects_a_malformed_duration_with_its_path():
    errors = parse_escalation_config(SEED.replace("first_response: 2h", "first_response: 2x"))

    assert errors == [f"escalation.tiers[1].sla.first_response: '2x' is not a duration ({DURATION_HINT})"]


def test_it_lists_every_bad_value_not_just_the_first():
    def break_four_things(escalation: dict) -> None:
        escalation["tiers"][0].pop("team")
        escalation["tiers"][1]["sla"]["first_response"] = "2x"
        escalation["severity_overrides"][0]["route_to"] = 7
        escalation["severity_overrides"][1]["notification"] = "sms"

    errors = parse_escalation_config(seed_with(break_four_things))

    assert [error.split(":")[0] for error in errors] == [
        "escalation.tiers[0].team",
        "escalation.tiers[1].sla.first_response",
        "escalation.severity_overrides[1].notification",
        "escalation.severity_overrides[0].route_to",
    ]


def test_it_checks_routes_only_once_every_tier_level_is_readable():
    errors = parse_escalation_config(seed_with(lambda e: e["tiers"][2].update(level="three")))

    assert errors == ["escalation.tiers[2].level: expected a whole number from 1 to 32767, got 'three'"]


def test_it_parses_the_seed_into_a_validated_structure():
    config = parse_escalation_config(SEED)

    assert isinstance(config, EscalationConfig)
    assert [tier.level for tier in config.tiers] == [1, 2, 3]
    assert [(s.code, s.route_to, s.customer_update_cadence) for s in config.severities] == [
        ("P0", 3, None),
        ("P1", 3, None),
        ("P2", 2, None),
    ]


@pytest.mark.django_db
def test_the_command_exits_non_zero_on_a_bad_file_and_lists_the_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEED.replace("route_to: 2", "route_to: 7").replace("notification: pagerduty", "notification: sms"))

    with pytest.raises(CommandError) as rejected:
        call_command("import_escalation_config", str(bad))

    assert "escalation.severity_overrides[0].notification: 'sms'" in str(rejected.value)
    assert "escalation.severity_overrides[2].route_to: no tier with level 7 in this file" in str(rejected.value)
    assert Tier.objects.count() == Severity.objects.count() == 0


@pytest.mark.django_db
def test_the_command_exits_non_zero_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_escalation_config", str(tmp_path / "missing.yaml"))


@pytest.mark.django_db
def test_export_then_import_is_a_fixed_point(tmp_path):
    call_command("import_escalation_config", stdout=StringIO())
    exported = tmp_path / "exported.yaml"
    call_command("export_escalation_config", str(exported), stdout=StringIO())
    first = exported.read_text(encoding="utf-8")

    call_command("import_escalation_config", str(exported), stdout=StringIO())

    assert escalation_config_export() == first
    assert "customer_update_cadence: 30m" in first and "escalate_at: 75" in first


@pytest.mark.django_db
def test_export_writes_to_standard_output_without_a_file(capsys):
    import_config()

    call_command("export_escalation_config")

    assert capsys.readouterr().out == escalation_config_export()


@pytest.mark.django_db
def test_reimporting_the_same_file_writes_no_history_rows():
    import_config()
    rows = history_rows()

    summary = import_config()

    assert history_rows() == rows
    assert (summary.created, summary.updated) == (0, 0)


@pytest.mark.django_db
def test_history_rows_carry_the_import_as_their_reason():
    import_config(source="tiers.yaml")

    reasons = {
        row.history_change_reason for model in (Tier, EscalationCriterion, Severity) for row in model.history.all()
    }
    assert reasons == {"Imported from tiers.yaml"}


@pytest.mark.django_db
def test_removed_criteria_become_inactive_but_are_kept_and_come_back_when_listed_again():
    import_config()
    removed = EscalationCriterion.objects.get(tier__level=1, text="Customer requests escalation")

    import_config(seed_with(lambda e: e["tiers"][0]["escalation_criteria"].remove("Customer requests escalation")))
    removed.refresh_from_db()
    assert not removed.is_active
    assert criteria_of(1)[-1] == "SLA at 75% elapsed without resolution path"
    assert "Customer requests escalation" not in escalation_config_export()

    import_config()
    removed.refresh_from_db()
    assert (removed.is_active, removed.position) == (True, 3)


@pytest.mark.django_db
def test_it_reorders_criteria_as_listed():
    import_config()

    import_config(seed_with(lambda e: e["tiers"][0]["escalation_criteria"].reverse()))

    assert criteria_of(1)[0] == "SLA at 75% elapsed without resolution path"


@pytest.mark.django_db
def test_tiers_left_out_of_the_file_become_inactive_and_severities_left_out_lose_their_route():
    import_config()

    def drop_l3(escalation: dict) -> None:
        escalation["tiers"].pop()
        escalation["severity_overrides"] = [escalation["severity_overrides"][2]]

    import_config(seed_with(drop_l3))

    assert not Tier.objects.get(level=3).is_active
    assert dict(Severity.objects.values_list("code", "route_to__level")) == {"P0": None, "P1": None, "P2": 2}
    assert "active: false" in escalation_config_export()


@pytest.mark.django_db
def test_it_imports_the_optional_keys():
    def tune(escalation: dict) -> None:
        escalation["tiers"][0].update(escalate_at=50, active=True)
        escalation["severity_overrides"][1]["customer_update_cadence"] = "2h30m"
        escalation["severity_overrides"].append({"severity": "P3", "description": "Minor", "notification": "email"})

    import_config(seed_with(tune))

    assert Tier.objects.get(level=1).escalate_at_percent == 50
    assert Severity.objects.get(code="P1").customer_update_cadence == timedelta(hours=2, minutes=30)
    assert Severity.objects.get(code="P3").route_to is None


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_it_parses_durations(text, duration):
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "2x", "4", "h", "30m1h", "1.5h", " 4h", "-4h", "0m", "366d", 4, None])
def test_it_refuses_what_is_not_a_positive_duration(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_the_formatter_spells_a_duration_in_its_largest_units():
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(hours=24)) == "24h"
    assert format_duration(timedelta(days=1, hours=2, minutes=3, seconds=4)) == "26h3m4s"


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(seconds=-5), timedelta(seconds=1.5)])
def test_the_formatter_refuses_what_the_file_cannot_express(duration):
    with pytest.raises(ValueError):
        format_duration(duration)


whole_seconds = st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds()))


@given(whole_seconds.map(lambda seconds: timedelta(seconds=seconds)))
def test_a_formatted_duration_parses_back_to_itself(duration):
    assert parse_duration(format_duration(duration)) == duration


@given(st.lists(st.integers(min_value=0, max_value=99), min_size=4, max_size=4).filter(any))
def test_any_spelling_of_units_formats_to_the_same_duration(amounts):
    text = "".join(f"{amount}{unit}" for amount, unit in zip(amounts, "dhms", strict=True) if amount)

    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.django_db
def test_acknowledgement_timeouts_are_read_and_written():
    import_config(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    assert Severity.objects.get(code="P0").acknowledgement_timeout == timedelta(minutes=5)
    assert Severity.objects.get(code="P3").acknowledgement_timeout is None
    assert Tier.objects.get(level=1).acknowledgement_timeout == timedelta(minutes=15)
    exported = escalation_config_export()
    assert "acknowledgement_timeout: 5m" in exported and "acknowledgement_timeout: 15m" in exported
