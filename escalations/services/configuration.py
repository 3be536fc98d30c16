"""Escalation tiers and severities as a YAML file: import as the desired state, export in the same format."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import Prefetch

from escalations.configuration import SeveritySpec, TierSpec, parse_escalation_config
from escalations.domain.durations import format_duration
from escalations.models import EscalationCriterion, Severity, Tier

DEFAULT_CONFIG_PATH = Path(__file__).parent.parent / "default_escalation_config.yaml"
YAML_WIDTH = 4096


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
        "first_response_sla": spec.sla.first_response,
        "resolution_target": spec.sla.resolution_target,
        "escalate_at_percent": spec.escalate_at,
        "acknowledgement_timeout": spec.acknowledgement_timeout,
        "is_active": spec.active,
    }
    _save_if_changed(tier, values, reason, summary)
    _apply_criteria(tier, spec.escalation_criteria, reason, summary)
    return tier


def _apply_criteria(tier: Tier, texts: list[str], reason: str, summary: ImportSummary) -> None:
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
    """Indents list items under their key, as hand-written config files do."""

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
