"""Escalation tiers and severities as a YAML file: parse and validate, import as the desired state, export.

The file format is the "Escalation Workflow Configuration" block of seed 002, plus optional keys
(`escalate_at`, `active`, `acknowledgement_timeout`, `customer_update_cadence`) so an export carries the whole state.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import Prefetch

from escalations.durations import format_duration, parse_duration
from escalations.models import EscalationCriterion, NotificationChannel, Severity, Tier
from escalations.models.config import DEFAULT_ACKNOWLEDGEMENT_TIMEOUT
from escalations.plain_yaml import YamlRefused, load_plain_yaml

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_escalation_config.yaml")
DEFAULT_ESCALATE_AT = 75
MAX_LEVEL = 32767
YAML_WIDTH = 4096

TIER_NAME_MAX_LENGTH = Tier._meta.get_field("name").max_length
TEAM_NAME_MAX_LENGTH = Group._meta.get_field("name").max_length
CRITERION_MAX_LENGTH = EscalationCriterion._meta.get_field("text").max_length
DESCRIPTION_MAX_LENGTH = Severity._meta.get_field("description").max_length

T = TypeVar("T")


@dataclass(frozen=True)
class TierSpec:
    level: int
    name: str
    team: str
    capabilities: tuple[str, ...]
    first_response: timedelta
    resolution_target: timedelta
    escalate_at: int
    acknowledgement_timeout: timedelta
    active: bool
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class SeveritySpec:
    code: str
    description: str
    route_to: int | None
    notification: str
    customer_update_cadence: timedelta | None
    acknowledgement_timeout: timedelta | None


@dataclass(frozen=True)
class EscalationConfig:
    tiers: tuple[TierSpec, ...]
    severities: tuple[SeveritySpec, ...]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


class EscalationConfigInvalid(ValueError):
    """The file was rejected as a whole; `errors` names every bad value by its path."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(["The escalation config is invalid; nothing was imported:", *errors]))


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else repr(value)


class _Validator:
    """Reads the document and records every problem with its path.

    Readers return None for a bad value; the result is discarded whenever any error was recorded.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path or 'document'}: {message}")

    def mapping(self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_describe(value)}")
            return None
        for key in value:
            if key not in required + optional:
                self.fail(_join(path, key), f"unknown key (expected one of {', '.join(required + optional)})")
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "missing")
        return value

    def field(
        self, data: dict, key: str, path: str, read: Callable[[Any, str], T], default: T | None = None
    ) -> T | None:
        return read(data[key], _join(path, key)) if key in data else default

    def items(self, value: Any, path: str, read: Callable[[Any, str], T]) -> tuple[T, ...]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_describe(value)}")
            return ()
        return tuple(read(item, f"{path}[{index}]") for index, item in enumerate(value))

    def text(self, value: Any, path: str, max_length: int | None = None) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected some text, got {_describe(value)}")
            return None
        if max_length and len(value) > max_length:
            self.fail(path, f"is {len(value)} characters long; the limit is {max_length}")
            return None
        return value

    def texts(self, value: Any, path: str, max_length: int | None = None) -> tuple[str | None, ...]:
        texts = self.items(value, path, partial(self.text, max_length=max_length))
        for index, text in enumerate(texts):
            if text is not None and text in texts[:index]:
                self.fail(f"{path}[{index}]", f"duplicate of {path}[{texts.index(text)}]")
        return texts

    def integer(self, value: Any, path: str, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.fail(path, f"expected a whole number from {minimum} to {maximum}, got {_describe(value)}")
            return None
        return value

    def level(self, value: Any, path: str) -> int | None:
        return self.integer(value, path, minimum=1, maximum=MAX_LEVEL)

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_describe(value)}")
            return None
        return value

    def choice(self, value: Any, path: str, what: str, choices: list[str]) -> str | None:
        if value not in choices:
            self.fail(path, f"{_describe(value)} is not a {what} (expected one of {', '.join(choices)})")
            return None
        return value

    def duration(self, value: Any, path: str) -> timedelta | None:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(path, str(exc))
            return None

    def config(self, value: Any) -> EscalationConfig | None:
        document = self.mapping(value, "", required=("escalation",))
        if document is None or "escalation" not in document:
            return None
        data = self.mapping(document["escalation"], "escalation", required=("tiers", "severity_overrides"))
        if data is None:
            return None
        tiers = self.field(data, "tiers", "escalation", self.tiers, ())
        severities = self.field(data, "severity_overrides", "escalation", self.severities, ())
        self.check_routes(severities, tiers)
        return EscalationConfig(tiers=tiers, severities=severities)

    def tiers(self, value: Any, path: str) -> tuple[TierSpec | None, ...]:
        if value == []:
            self.fail(path, "at least one tier is required")
        tiers = self.items(value, path, self.tier)
        self.check_unique(tiers, path, "level", "level")
        return tiers

    def tier(self, value: Any, path: str) -> TierSpec | None:
        optional = ("capabilities", "escalation_criteria", "escalate_at", "active", "acknowledgement_timeout")
        data = self.mapping(value, path, required=("level", "name", "team", "sla"), optional=optional)
        if data is None:
            return None
        first_response, resolution_target = self.field(data, "sla", path, self.sla, (None, None))
        percent = partial(self.integer, minimum=1, maximum=100)
        criteria = partial(self.texts, max_length=CRITERION_MAX_LENGTH)
        return TierSpec(
            level=self.field(data, "level", path, self.level),
            name=self.field(data, "name", path, partial(self.text, max_length=TIER_NAME_MAX_LENGTH)),
            team=self.field(data, "team", path, partial(self.text, max_length=TEAM_NAME_MAX_LENGTH)),
            capabilities=self.field(data, "capabilities", path, self.texts, ()),
            first_response=first_response,
            resolution_target=resolution_target,
            escalate_at=self.field(data, "escalate_at", path, percent, DEFAULT_ESCALATE_AT),
            acknowledgement_timeout=self.field(
                data, "acknowledgement_timeout", path, self.duration, DEFAULT_ACKNOWLEDGEMENT_TIMEOUT
            ),
            active=self.field(data, "active", path, self.boolean, True),
            criteria=self.field(data, "escalation_criteria", path, criteria, ()),
        )

    def sla(self, value: Any, path: str) -> tuple[timedelta | None, timedelta | None]:
        data = self.mapping(value, path, required=("first_response", "resolution_target"))
        if data is None:
            return None, None
        first_response = self.field(data, "first_response", path, self.duration)
        return first_response, self.field(data, "resolution_target", path, self.duration)

    def severities(self, value: Any, path: str) -> tuple[SeveritySpec | None, ...]:
        severities = self.items(value, path, self.severity)
        self.check_unique(severities, path, "code", "severity")
        return severities

    def severity(self, value: Any, path: str) -> SeveritySpec | None:
        optional = ("route_to", "customer_update_cadence", "acknowledgement_timeout")
        data = self.mapping(value, path, required=("severity", "description", "notification"), optional=optional)
        if data is None:
            return None
        code = partial(self.choice, what="severity", choices=Severity.Code.values)
        channel = partial(self.choice, what="notification channel", choices=NotificationChannel.values)
        return SeveritySpec(
            code=self.field(data, "severity", path, code),
            description=self.field(data, "description", path, partial(self.text, max_length=DESCRIPTION_MAX_LENGTH)),
            route_to=self.field(data, "route_to", path, self.level),
            notification=self.field(data, "notification", path, channel),
            customer_update_cadence=self.field(data, "customer_update_cadence", path, self.duration),
            acknowledgement_timeout=self.field(data, "acknowledgement_timeout", path, self.duration),
        )

    def check_unique(self, specs: tuple[Any, ...], path: str, attribute: str, key: str) -> None:
        first_index: dict[Any, int] = {}
        for index, spec in enumerate(specs):
            value = getattr(spec, attribute, None)
            if value is None:
                continue
            if value in first_index:
                self.fail(f"{path}[{index}].{key}", f"duplicate {key} {value} (also {path}[{first_index[value]}])")
            else:
                first_index[value] = index

    def check_routes(self, severities: tuple[SeveritySpec | None, ...], tiers: tuple[TierSpec | None, ...]) -> None:
        """Each route must name an active tier of this file; checked only once every tier's level could be read."""
        if any(tier is None or tier.level is None for tier in tiers):
            return
        active = {tier.level: tier.active for tier in tiers}
        for index, severity in enumerate(severities):
            if severity is None or severity.route_to is None:
                continue
            path = f"escalation.severity_overrides[{index}].route_to"
            if severity.route_to not in active:
                self.fail(path, f"no tier with level {severity.route_to} in this file")
            elif active[severity.route_to] is False:
                self.fail(path, f"tier with level {severity.route_to} is inactive in this file")


def parse_escalation_config(document: str) -> EscalationConfig | list[str]:
    """Validate the whole document; return the config, or every error found, each prefixed with its path."""
    try:
        value = load_plain_yaml(document)
    except YamlRefused as refused:
        return [f"document: {refused.problem}"]
    validator = _Validator()
    config = validator.config(value)
    return validator.errors or config


def _change_reason(source: str) -> str:
    return f"Imported from {source}"


def _save_if_changed(obj: models.Model, values: dict[str, Any], reason: str, summary: ImportSummary) -> None:
    """Save only a new or changed row, so re-importing the same file writes no history."""
    adding = obj._state.adding
    if not adding and all(getattr(obj, name) == value for name, value in values.items()):
        summary.unchanged += 1
        return
    for name, value in values.items():
        setattr(obj, name, value)
    obj._change_reason = reason
    obj.save()
    if adding:
        summary.created += 1
    else:
        summary.updated += 1


def _apply_tier(spec: TierSpec, reason: str, summary: ImportSummary) -> Tier:
    team, _ = Group.objects.get_or_create(name=spec.team)
    tier = Tier.objects.filter(level=spec.level).first() or Tier(level=spec.level)
    values = {
        "name": spec.name,
        "team_id": team.pk,
        "capabilities": list(spec.capabilities),
        "first_response_sla": spec.first_response,
        "resolution_target": spec.resolution_target,
        "escalate_at_percent": spec.escalate_at,
        "acknowledgement_timeout": spec.acknowledgement_timeout,
        "is_active": spec.active,
    }
    _save_if_changed(tier, values, reason, summary)
    _apply_criteria(tier, spec.criteria, reason, summary)
    return tier


def _apply_criteria(tier: Tier, texts: tuple[str, ...], reason: str, summary: ImportSummary) -> None:
    """The listed texts, in order, become the tier's active criteria; the rest are kept but deactivated."""
    existing = {criterion.text: criterion for criterion in tier.criteria.all()}
    for position, text in enumerate(texts, start=1):
        criterion = existing.pop(text, None) or EscalationCriterion(tier=tier, text=text)
        _save_if_changed(criterion, {"position": position, "is_active": True}, reason, summary)
    for criterion in existing.values():
        _save_if_changed(criterion, {"is_active": False}, reason, summary)


def _apply_severity(spec: SeveritySpec, tiers: dict[int, Tier], reason: str, summary: ImportSummary) -> None:
    severity = Severity.objects.filter(code=spec.code).first() or Severity(code=spec.code)
    values = {
        "description": spec.description,
        "route_to_id": tiers[spec.route_to].pk if spec.route_to is not None else None,
        "notification_channel": spec.notification,
        "customer_update_cadence": spec.customer_update_cadence,
        "acknowledgement_timeout": spec.acknowledgement_timeout,
    }
    _save_if_changed(severity, values, reason, summary)


def escalation_config_import(*, document: str, source: str) -> ImportSummary:
    """Make the tiers, criteria and severities match the file, or change nothing if any value is bad.

    Tiers missing from the file are deactivated and severities missing from it lose their route;
    nothing is deleted, because tickets and their history keep pointing at these rows.
    """
    config = parse_escalation_config(document)
    if isinstance(config, list):
        raise EscalationConfigInvalid(config)
    reason = _change_reason(source)
    summary = ImportSummary()
    with transaction.atomic():
        tiers = {spec.level: _apply_tier(spec, reason, summary) for spec in config.tiers}
        for tier in Tier.objects.exclude(level__in=list(tiers)):
            _save_if_changed(tier, {"is_active": False}, reason, summary)
        for spec in config.severities:
            _apply_severity(spec, tiers, reason, summary)
        for severity in Severity.objects.exclude(code__in=[spec.code for spec in config.severities]):
            _save_if_changed(severity, {"route_to_id": None}, reason, summary)
    return summary


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the seed's file does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _tier_document(tier: Tier) -> dict[str, Any]:
    return {
        "level": tier.level,
        "name": tier.name,
        "team": tier.team.name,
        "capabilities": tier.capabilities,
        "sla": {
            "first_response": format_duration(tier.first_response_sla),
            "resolution_target": format_duration(tier.resolution_target),
        },
        "escalate_at": tier.escalate_at_percent,
        "acknowledgement_timeout": format_duration(tier.acknowledgement_timeout),
        "active": tier.is_active,
        "escalation_criteria": [criterion.text for criterion in tier.active_criteria],
    }


def _severity_document(severity: Severity) -> dict[str, Any]:
    document: dict[str, Any] = {"severity": severity.code, "description": severity.description}
    if severity.route_to is not None:
        document["route_to"] = severity.route_to.level
    document["notification"] = severity.notification_channel
    if severity.customer_update_cadence is not None:
        document["customer_update_cadence"] = format_duration(severity.customer_update_cadence)
    if severity.acknowledgement_timeout is not None:
        document["acknowledgement_timeout"] = format_duration(severity.acknowledgement_timeout)
    return document


def escalation_config_export() -> str:
    """The current tiers (active or not), their active criteria and every severity, in the import format."""
    active_criteria = EscalationCriterion.objects.filter(is_active=True).order_by("position", "pk")
    tiers = (
        Tier.objects.order_by("level")
        .select_related("team")
        .prefetch_related(Prefetch("criteria", queryset=active_criteria, to_attr="active_criteria"))
    )
    severities = Severity.objects.order_by("code").select_related("route_to")
    document = {
        "escalation": {
            "tiers": [_tier_document(tier) for tier in tiers],
            "severity_overrides": [_severity_document(severity) for severity in severities],
        }
    }
    return yaml.dump(document, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=True, width=YAML_WIDTH)
