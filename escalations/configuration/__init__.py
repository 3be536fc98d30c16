"""The escalation tiers and severities as a YAML file: its format (schema) and its import and export (transfer)."""

from escalations.configuration.schema import EscalationConfig, parse_escalation_config
from escalations.configuration.transfer import (
    DEFAULT_CONFIG_PATH,
    EscalationConfigInvalid,
    ImportSummary,
    escalation_config_export,
    escalation_config_import,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "EscalationConfig",
    "EscalationConfigInvalid",
    "ImportSummary",
    "escalation_config_export",
    "escalation_config_import",
    "parse_escalation_config",
]
