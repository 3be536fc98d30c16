"""The escalation config file's format: tiers with SLAs and criteria, severity overrides, calendars, and optional keys
(`escalate_at`, `active`, `acknowledgement_timeout`, `customer_update_cadence`) so an export carries the whole state.
"""

from collections.abc import Iterator
from typing import Annotated, Any

from django.contrib.auth.models import Group
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from escalations.domain.durations import parse_duration
from escalations.models import EscalationCriterion, NotificationChannel, Severity, Tier
from escalations.models.config import DEFAULT_ACKNOWLEDGEMENT_TIMEOUT
from escalations.plain_yaml import (
    FLAG,
    Loc,
    Schema,
    YamlInvalid,
    choice,
    read_yaml,
    text,
    value_type,
    whole_number,
    yaml_path,
)

DEFAULT_ESCALATE_AT = 75
MAX_LEVEL = 32767

TIER_NAME_MAX_LENGTH = Tier._meta.get_field("name").max_length
TEAM_NAME_MAX_LENGTH = Group._meta.get_field("name").max_length
CRITERION_MAX_LENGTH = EscalationCriterion._meta.get_field("text").max_length
DESCRIPTION_MAX_LENGTH = Severity._meta.get_field("description").max_length

Level = whole_number(1, MAX_LEVEL)
Duration = value_type(parse_duration)
SeverityCode = choice("severity", Severity.Code.values)
LEVEL, SEVERITY_CODE, TEXTS = TypeAdapter(Level), TypeAdapter(SeverityCode), TypeAdapter(list[text()])


def _at_least_one_tier(tiers: list) -> list:
    if not tiers:
        raise ValueError("at least one tier is required")
    return tiers


class Sla(Schema):
    first_response: Duration
    resolution_target: Duration


class TierSpec(Schema):
    level: Level
    name: text(TIER_NAME_MAX_LENGTH)
    team: text(TEAM_NAME_MAX_LENGTH)
    sla: Sla
    capabilities: list[text()] = Field(default_factory=list)
    escalation_criteria: list[text(CRITERION_MAX_LENGTH)] = Field(default_factory=list)
    escalate_at: whole_number(1, 100) = DEFAULT_ESCALATE_AT
    active: FLAG = True
    acknowledgement_timeout: Duration = DEFAULT_ACKNOWLEDGEMENT_TIMEOUT


class SeveritySpec(Schema):
    code: SeverityCode = Field(alias="severity")
    description: text(DESCRIPTION_MAX_LENGTH)
    route_to: Level = None
    notification: choice("notification channel", NotificationChannel.values)
    customer_update_cadence: Duration = None
    acknowledgement_timeout: Duration = None


class EscalationConfig(Schema):
    tiers: Annotated[list[TierSpec], AfterValidator(_at_least_one_tier)]
    severities: list[SeveritySpec] = Field(alias="severity_overrides")


class ConfigFile(Schema):
    escalation: EscalationConfig


def parse_escalation_config(document: str) -> EscalationConfig | list[str]:
    """Validate the whole document; return the config, or every error found, each prefixed with its path."""
    try:
        return read_yaml(document, ConfigFile, across=_across_records).escalation
    except YamlInvalid as invalid:
        return invalid.errors


def _valid(kind: TypeAdapter, record: Any, key: str) -> Any:
    """The record's value if it is a valid `kind`, else None (a bad value is reported by the schema already)."""
    try:
        return kind.validate_python(record.get(key) if isinstance(record, dict) else None)
    except ValidationError:
        return None


def _records(data: Any, key: str) -> list:
    section = data.get("escalation") if isinstance(data, dict) else None
    records = section.get(key) if isinstance(section, dict) else None
    return records if isinstance(records, list) else []


def _duplicates(path: Loc, values: list, key: tuple, message: str) -> Iterator[tuple[Loc, str]]:
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if value is not None and value in first:
            yield (*path, index, *key), message.format(value=value, first=yaml_path((*path, first[value])))
        elif value is not None:
            first[value] = index


def _across_records(data: Any) -> Iterator[tuple[Loc, str]]:
    """Duplicates and routes, found even when other values are bad; routes once every tier's level can be read."""
    tiers, severities = _records(data, "tiers"), _records(data, "severity_overrides")
    levels = [_valid(LEVEL, tier, "level") for tier in tiers]
    codes = [_valid(SEVERITY_CODE, severity, "severity") for severity in severities]
    yield from _duplicates(("escalation", "tiers"), levels, ("level",), "duplicate level {value} (also {first})")
    path = ("escalation", "severity_overrides")
    yield from _duplicates(path, codes, ("severity",), "duplicate severity {value} (also {first})")
    for index, tier in enumerate(tiers):
        for key in ("capabilities", "escalation_criteria"):
            texts = _valid(TEXTS, tier, key) or []
            yield from _duplicates(("escalation", "tiers", index, key), texts, (), "duplicate of {first}")
    if None not in levels:
        active = {level: tier.get("active") is not False for level, tier in zip(levels, tiers, strict=True)}
        yield from _route_problems(severities, active)


def _route_problems(severities: list, active: dict[int, bool]) -> Iterator[tuple[Loc, str]]:
    """Each route must name an active tier of this file."""
    for index, severity in enumerate(severities):
        route = _valid(LEVEL, severity, "route_to")
        where = ("escalation", "severity_overrides", index, "route_to")
        if route is not None and route not in active:
            yield where, f"no tier with level {route} in this file"
        elif route is not None and not active[route]:
            yield where, f"tier with level {route} is inactive in this file"
