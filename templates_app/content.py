"""A version's content as plain data: validated in one place for the editor, YAML import and the demo examples."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from escalations import roles
from escalations.validators import whole_number
from templates_app.domain.conditions import clean_conditions, clean_rules
from templates_app.domain.steps import clean_steps
from templates_app.models import Template, TemplateVersion
from templates_app.models.governance import CONTENT_FIELDS, Event

MINUTE_FIELDS = ("ack_timeout_minutes", "validation_window_minutes", "qa_ack_within_minutes")
MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_MINUTES = 366 * 24 * 60  # a year: longer timeouts and windows are typos, and would overflow the columns
FLAGS = ("qa_notifications_delivered", "qa_verification_signed")
TEXT_LISTS = ("exception_triage_steps", "exception_evidence")
PEOPLE = ("exception_remediation_owner", "validation_owner")


def _minutes(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    label = name.replace("_", " ").capitalize()
    minutes = value if isinstance(value, int) and not isinstance(value, bool) else whole_number(value)
    if minutes is None or minutes < 1:
        raise ValidationError(f"{label} is a whole number of minutes, at least 1.")
    if minutes > MAX_MINUTES:
        raise ValidationError(f"{label} is at most {MAX_MINUTES} minutes (a year).")
    return minutes


def _text_list(value, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({name: f"{name.replace('_', ' ').capitalize()} is a list of lines."})
    return [item.strip() for item in value if item.strip()]


def _delay(value) -> int | None:
    minutes = _minutes(value, "delay_minutes")
    if minutes and minutes > MAX_DELAY_MINUTES:
        raise ValidationError(f"Wait at most {MAX_DELAY_MINUTES} minutes (7 days) after the event.")
    return minutes


def _validation_owner(data: dict, steps: list[dict]):
    """A validation window is for the checklist the steps leave: without a human step there is nothing to sign."""
    owner = data.get("validation_owner")
    if owner is not None and not isinstance(owner, get_user_model()):
        raise ValidationError({"validation_owner": f"Validation window: nobody is called “{owner}”."})
    if owner is not None and not roles.can_own(owner):
        raise ValidationError({"validation_owner": f"Validation window: {owner.get_username()} does not work tickets."})
    if data.get("validation_window_minutes") and not any(step["kind"] == "human" for step in steps):
        raise ValidationError(
            {
                "validation_window_minutes": (
                    "A validation window needs a human step (checklist item) to be signed within it."
                )
            }
        )
    if owner is not None and not data.get("validation_window_minutes"):
        raise ValidationError({"validation_owner": "Validation window: name its owner only with a window."})
    return owner


def _exception(data: dict, template: Template | None) -> dict:
    kind = data.get("exception_type") or ""
    runbook, owner = data.get("exception_runbook"), data.get("exception_remediation_owner")
    if kind not in TemplateVersion.ExceptionType.values:
        raise ValidationError({"exception_type": "The exception path is type A, type B or none."})
    cleaned = {"exception_type": kind, "exception_runbook": None, "exception_remediation_owner": None}
    cleaned |= {name: _text_list(data.get(name, []), name) for name in TEXT_LISTS}
    if kind == TemplateVersion.ExceptionType.KNOWN:
        if not isinstance(runbook, Template):
            raise ValidationError(
                {"exception_runbook": "Type A exception: name the pre-approved runbook template to run."}
            )
        if template is not None and runbook.pk == template.pk:
            raise ValidationError({"exception_runbook": "Type A exception: the runbook has to be another template."})
        cleaned["exception_runbook"] = runbook
    if kind == TemplateVersion.ExceptionType.UNKNOWN:
        if not cleaned["exception_triage_steps"]:
            raise ValidationError({"exception_triage_steps": "Type B exception: list the human triage steps."})
        if not isinstance(owner, get_user_model()) or not owner.is_active or roles.is_system_user(owner):
            raise ValidationError(
                {"exception_remediation_owner": "Type B exception: name the post-mortem's remediation owner."}
            )
        cleaned["exception_remediation_owner"] = owner
    return cleaned


def clean_content(data: dict, *, template: Template | None = None) -> dict:
    """Every field of a version's content checked; the problems in one error, by field (`error.message_dict`)."""
    errors, cleaned = {}, {}
    checks = [
        ("event", lambda: _event(data.get("event"))),
        ("conditions", lambda: clean_conditions(data.get("conditions"))),
        ("steps", lambda: clean_steps(data.get("steps", []))),
        ("qa_expected_state", lambda: clean_rules(data.get("qa_expected_state", []), "Expected state")),
        ("delay_minutes", lambda: _delay(data.get("delay_minutes"))),
    ] + [(name, lambda name=name: _minutes(data.get(name), name)) for name in MINUTE_FIELDS]
    for name, check in checks:
        try:
            cleaned[name] = check()
        except ValidationError as error:
            errors[name] = error.messages
    try:
        cleaned |= _exception(data, template)
    except ValidationError as error:
        errors |= error.message_dict
    if errors:
        raise ValidationError(errors)
    if not cleaned["steps"]:
        raise ValidationError({"steps": "A version needs at least one step."})
    cleaned["validation_owner"] = _validation_owner(data, cleaned["steps"])
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
    for name in PEOPLE:
        person = getattr(version, name)
        content[name] = person.get_username() if person else None
    return content


def from_portable(data: dict) -> dict:
    """Names back to objects; unknown names stay names, for clean_content to refuse."""
    data = dict(data)
    if name := data.get("exception_runbook"):
        data["exception_runbook"] = Template.objects.filter(name=name).first()
    for name in PEOPLE:
        if username := data.get(name):
            data[name] = get_user_model().objects.filter(username=username).first() or username
    return data
