"""Step kinds: what each needs, how it is checked and how it reads. Running them is services.execution's job.

A step is `{"kind": "assign", "role": "primary", "target": "oncall", "tier": 3}`: the kind and its params.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from escalations import roles
from escalations.models import Severity, Ticket, Tier
from templates_app.domain.collect import clean_each

ROLES = {"primary": "primary owner", "backup": "backup owner", "escalation": "escalation owner"}
TARGETS = {"person": "a person", "team": "a team", "oncall": "the on-call of a tier"}
AUDIENCES = {
    "owners": "the ticket's owners",
    "managers": "the managers",
    "tier": "a tier's team",
    "oncall": "a tier's on-call",
}
MAX_HISTORY = 50


def _text(step: dict, key: str, what: str, *, required: bool = True, limit: int = 300) -> str:
    value = str(step.get(key) or "").strip()
    if required and not value:
        raise ValidationError(f"{what} is missing.")
    if len(value) > limit:
        raise ValidationError(f"{what} is longer than {limit} characters.")
    return value


def _choice(step: dict, key: str, options: dict, what: str) -> str:
    value = step.get(key)
    if not isinstance(value, str) or value not in options:
        raise ValidationError(f"Pick {what}: one of {', '.join(options)}.")
    return value


def _tier(step: dict, what: str) -> int:
    try:
        level = int(step.get("tier"))
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{what}: give the tier's level (1, 2, 3 …).") from None
    if not Tier.objects.filter(level=level, is_active=True).exists():
        raise ValidationError(f"{what}: there is no active tier L{level}.")
    return level


def _assign(step: dict) -> dict:
    params = {"role": _choice(step, "role", ROLES, "which owner to assign")}
    target = params["target"] = _choice(step, "target", TARGETS, "whom to assign (a person, a team or an on-call)")
    if target == "person":
        username = _text(step, "person", "The person to assign")
        if not roles.without_system_users(get_user_model().objects).filter(username=username, is_active=True).exists():
            raise ValidationError(f"Nobody active is called “{username}”.")
        params["person"] = username
    elif target == "team":
        team = _text(step, "team", "The team to assign")
        if not Group.objects.filter(name=team).exists():
            raise ValidationError(f"There is no team “{team}”.")
        params["team"] = team
    else:
        params["tier"] = _tier(step, "The on-call to assign")
    return params


def _audience(step: dict) -> dict:
    params = {"audience": _choice(step, "audience", AUDIENCES, "whom to tell")}
    if params["audience"] in ("tier", "oncall"):
        params["tier"] = _tier(step, "Whom to tell")
    return params


def _notify(step: dict) -> dict:
    return _audience(step) | {"message": _text(step, "message", "The message", limit=1000)}


def _set_fields(step: dict) -> dict:
    params = {}
    if step.get("severity"):
        if step["severity"] not in Severity.Code.values:
            raise ValidationError(f"“{step['severity']}” is not a severity: use {', '.join(Severity.Code.values)}.")
        params["severity"] = step["severity"]
    if prefix := _text(step, "title_prefix", "The title prefix", required=False, limit=40):
        params["title_prefix"] = prefix
    if not params:
        raise ValidationError("Set fields: give a severity or a title prefix.")
    return params


def _create_ticket(step: dict) -> dict:
    params = {"title": _text(step, "title", "The investigation ticket's title", limit=150)}
    if step.get("category"):
        if step["category"] not in Ticket.Category.values:
            raise ValidationError(f"“{step['category']}” is not a category.")
        params["category"] = step["category"]
    return params


def _snapshot(step: dict) -> dict:
    try:
        history = int(step.get("history") or 10)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError("Snapshot: how many recent changes to keep is a number.") from None
    if not 1 <= history <= MAX_HISTORY:
        raise ValidationError(f"Snapshot: keep between 1 and {MAX_HISTORY} recent changes.")
    return {"history": history}


def _war_room(step: dict) -> dict:
    link = _text(step, "link", "The war room's link", limit=500)
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise ValidationError(f"“{link}” is not a web address (https://…).") from None
    return {"link": link} | _audience(step)


def _human(step: dict) -> dict:
    return {
        "text": _text(step, "text", "The checklist item"),
        "guidance": _text(step, "guidance", "The decision guidance", required=False, limit=2000),
    }


def _tier_label(params: dict) -> str:
    return f"L{params['tier']}"


def _whom(params: dict) -> str:
    audience = params["audience"]
    if audience == "tier":
        return f"the {_tier_label(params)} team"
    if audience == "oncall":
        return f"the on-call of {_tier_label(params)}"
    return AUDIENCES[audience]


def _describe_assign(params: dict) -> str:
    target = {"person": params.get("person"), "team": f"team {params.get('team')}"}.get(params["target"])
    return f"Assign {ROLES[params['role']]}: {target or f'the on-call of {_tier_label(params)}'}"


def _describe_fields(params: dict) -> str:
    parts = [f"severity {params['severity']}" if "severity" in params else ""]
    parts.append(f"title prefix “{params['title_prefix']}”" if "title_prefix" in params else "")
    return "Set " + " and ".join(filter(None, parts))


@dataclass(frozen=True)
class StepKind:
    label: str
    clean: Callable[[dict], dict]
    describe: Callable[[dict], str]
    params: tuple[str, ...]


AUDIENCE_PARAMS = ("audience", "tier", "message")
STEP_KINDS: dict[str, StepKind] = {
    "assign": StepKind("Assign an owner", _assign, _describe_assign, ("role", "target", "person", "team", "tier")),
    "escalate": StepKind(
        "Escalate to a tier",
        lambda step: {"tier": _tier(step, "Escalate")},
        lambda p: f"Escalate to {_tier_label(p)}",
        ("tier",),
    ),
    "set_fields": StepKind("Set severity or fields", _set_fields, _describe_fields, ("severity", "title_prefix")),
    "notify": StepKind("Notify a channel", _notify, lambda p: f"Notify {_whom(p)}: {p['message']}", AUDIENCE_PARAMS),
    "page": StepKind("Page (high urgency)", _notify, lambda p: f"Page {_whom(p)}: {p['message']}", AUDIENCE_PARAMS),
    "create_ticket": StepKind(
        "Create a linked investigation ticket",
        _create_ticket,
        lambda p: f"Create linked ticket “{p['title']}”",
        ("title", "category"),
    ),
    "snapshot": StepKind(
        "Attach a snapshot",
        _snapshot,
        lambda p: f"Snapshot the ticket and its last {p['history']} changes",
        ("history",),
    ),
    "war_room": StepKind(
        "Open a war room",
        _war_room,
        lambda p: f"Open a war room ({p['link']}) with {_whom(p)}",
        ("link", "audience", "tier"),
    ),
    "human": StepKind("Human step (checklist item)", _human, lambda p: f"Checklist: {p['text']}", ("text", "guidance")),
}


def clean_step(step) -> dict:
    if not isinstance(step, dict) or not isinstance(step.get("kind"), str) or step["kind"] not in STEP_KINDS:
        kind = step.get("kind") if isinstance(step, dict) else step
        raise ValidationError(f"Unknown step kind “{kind}”: use one of {', '.join(STEP_KINDS)}.")
    return {"kind": step["kind"], **STEP_KINDS[step["kind"]].clean(step)}


def clean_steps(steps) -> list[dict]:
    """Every step checked; all problems reported at once, numbered as the editor shows them."""
    if not isinstance(steps, list):
        raise ValidationError("Steps must be a list.")
    return clean_each(steps, clean_step, lambda number: f"Step {number}")


def describe_step(step: dict) -> str:
    return STEP_KINDS[step["kind"]].describe(step)
