"""What changed between two versions: each setting field by field, and the steps added and removed."""

import difflib
from dataclasses import dataclass

from templates_app.domain.conditions import describe_conditions, describe_rule
from templates_app.domain.steps import describe_step
from templates_app.models import TemplateVersion


@dataclass(frozen=True)
class VersionDiff:
    fields: list[tuple[str, str, str]]
    steps_removed: list[str]
    steps_added: list[str]

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.steps_removed or self.steps_added)


def _username(person) -> str:
    return person.get_username() if person else "—"


def _shown(version: TemplateVersion) -> dict[str, str]:
    """Each setting the way the version page shows it."""
    return {
        "Trigger event": version.get_event_display(),
        "Wait after the event (min)": str(version.delay_minutes or "—"),
        "Conditions": describe_conditions(version.conditions),
        "Acknowledgement timeout (min)": str(version.ack_timeout_minutes or "—"),
        "Validation window (min)": str(version.validation_window_minutes or "—"),
        "Validation owner": _username(version.validation_owner),
        "QA: acknowledged within (min)": str(version.qa_ack_within_minutes or "—"),
        "QA: expected state": "; ".join(map(describe_rule, version.qa_expected_state)) or "—",
        "QA: notifications delivered": "yes" if version.qa_notifications_delivered else "no",
        "QA: checklist signed": "yes" if version.qa_verification_signed else "no",
        "Exception path": version.get_exception_type_display(),
        "Exception runbook": str(version.exception_runbook or "—"),
        "Triage steps": "; ".join(version.exception_triage_steps) or "—",
        "Post-mortem evidence": "; ".join(version.exception_evidence) or "—",
        "Remediation owner": _username(version.exception_remediation_owner),
    }


def version_diff(old: TemplateVersion, new: TemplateVersion) -> VersionDiff:
    before, after = _shown(old), _shown(new)
    fields = [(name, before[name], after[name]) for name in before if before[name] != after[name]]
    old_steps, new_steps = list(map(describe_step, old.steps)), list(map(describe_step, new.steps))
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_steps, b=new_steps, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += old_steps[i1:i2]
            added += new_steps[j1:j2]
    return VersionDiff(fields, removed, added)
