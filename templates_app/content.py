"""A version's content as plain data: validated in one place for the editor, YAML import and the seed's examples."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from templates_app.conditions import clean_conditions, clean_rules
from templates_app.models import Template, TemplateVersion
from templates_app.models.governance import CONTENT_FIELDS, Event
from templates_app.steps import clean_steps

MINUTE_FIELDS = ("ack_timeout_minutes", "validation_window_minutes", "qa_ack_within_minutes")
FLAGS = ("qa_notifications_delivered", "qa_verification_signed")
TEXT_LISTS = ("exception_triage_steps", "exception_evidence")


def _minutes(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) < 1:
        raise ValidationError(f"{name.replace('_', ' ').capitalize()} is a whole number of minutes, at least 1.")
    return int(value)


def _text_list(value, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{name.replace('_', ' ').capitalize()} is a list of lines.")
    return [item.strip() for item in value if item.strip()]


def _exception(data: dict, template: Template | None) -> dict:
    kind = data.get("exception_type") or ""
    runbook, owner = data.get("exception_runbook"), data.get("exception_remediation_owner")
    if kind not in TemplateVersion.ExceptionType.values:
        raise ValidationError("The exception path is type A, type B or none.")
    cleaned = {"exception_type": kind, "exception_runbook": None, "exception_remediation_owner": None}
    cleaned |= {name: _text_list(data.get(name, []), name) for name in TEXT_LISTS}
    if kind == TemplateVersion.ExceptionType.KNOWN:
        if not isinstance(runbook, Template):
            raise ValidationError("Type A exception: name the pre-approved runbook template to run.")
        if template is not None and runbook.pk == template.pk:
            raise ValidationError("Type A exception: the runbook has to be another template.")
        cleaned["exception_runbook"] = runbook
    if kind == TemplateVersion.ExceptionType.UNKNOWN:
        if not cleaned["exception_triage_steps"]:
            raise ValidationError("Type B exception: list the human triage steps.")
        if owner is None or not owner.is_active:
            raise ValidationError("Type B exception: name the post-mortem's remediation owner.")
        cleaned["exception_remediation_owner"] = owner
    return cleaned


def clean_content(data: dict, *, template: Template | None = None) -> dict:
    """Every field of a version's content checked, with all the problems in one error."""
    errors, cleaned = [], {}
    checks = [
        ("event", lambda: _event(data.get("event"))),
        ("conditions", lambda: clean_conditions(data.get("conditions"))),
        ("steps", lambda: clean_steps(data.get("steps", []))),
        ("qa_expected_state", lambda: clean_rules(data.get("qa_expected_state", []), "Expected state")),
    ] + [(name, lambda name=name: _minutes(data.get(name), name)) for name in MINUTE_FIELDS]
    for name, check in checks:
        try:
            cleaned[name] = check()
        except ValidationError as error:
            errors.extend(error.messages)
    try:
        cleaned |= _exception(data, template)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    if not cleaned["steps"]:
        raise ValidationError("A version needs at least one step.")
    return cleaned | {name: bool(data.get(name)) for name in FLAGS}


def _event(event) -> str:
    if event not in Event.values:
        raise ValidationError(f"Unknown trigger event “{event}”: use one of {', '.join(Event.values)}.")
    return event


def current_content(version: TemplateVersion) -> dict:
    """The content as clean_content takes it (related objects, not ids)."""
    return {name: getattr(version, name) for name in CONTENT_FIELDS}


def portable(version: TemplateVersion) -> dict:
    """The content with names instead of ids, for YAML."""
    content = version.content()
    content["exception_runbook"] = version.exception_runbook.name if version.exception_runbook else None
    owner = version.exception_remediation_owner
    content["exception_remediation_owner"] = owner.get_username() if owner else None
    return content


def from_portable(data: dict) -> dict:
    """Names back to objects; unknown names are left for clean_content to refuse."""
    data = dict(data)
    if name := data.get("exception_runbook"):
        data["exception_runbook"] = Template.objects.filter(name=name).first()
    if username := data.get("exception_remediation_owner"):
        data["exception_remediation_owner"] = get_user_model().objects.filter(username=username).first()
    return data
