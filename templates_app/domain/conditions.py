"""Trigger conditions: structured rules over ticket and account facts, in AND/OR groups. Never code, never eval.

A trigger's conditions are `{"match": "all"|"any", "groups": [{"match": "all"|"any", "rules": [rule, …]}]}`;
a rule is `{"field": "severity", "op": "in", "value": ["P0", "P1"]}`. Rules within a group combine by the
group's match, groups by the top-level match; no groups at all matches every ticket.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from escalations.models import Account, Severity, Ticket
from templates_app.domain.collect import clean_each

CHOICE, TEXT, NUMBER, YES_NO = "choice", "text", "number", "yes/no"
MATCHES = {"all": "all of (AND)", "any": "any of (OR)"}


@dataclass(frozen=True)
class Field:
    label: str
    type: str
    choices: tuple[str, ...] = ()


FIELDS: dict[str, Field] = {
    "severity": Field("Severity", CHOICE, tuple(Severity.Code.values)),
    "critical": Field("Severity is critical (P0/P1)", YES_NO),
    "priority": Field("Priority (High = P0/P1, Normal = P2, Low = P3)", CHOICE, ("High", "Normal", "Low")),
    "tier": Field("Tier level", NUMBER),
    "category": Field("Category", CHOICE, tuple(Ticket.Category.values)),
    "status": Field("Status", CHOICE, tuple(Ticket.Status.values)),
    "title": Field("Title", TEXT),
    "has_owner": Field("Has a primary owner", YES_NO),
    "minutes_past_due": Field("Minutes past the resolution deadline", NUMBER),
    "account_tier": Field("Account tier", CHOICE, tuple(Account.AccountTier.values)),
    "account_arr": Field("Account ARR (USD)", NUMBER),
    "account_health": Field("Account health score", NUMBER),
    "account_name": Field("Account name", TEXT),
    "event_name": Field("Inbound event name", TEXT),
    "event_source": Field("Inbound event source", TEXT),
}


@dataclass(frozen=True)
class Operator:
    label: str
    types: tuple[str, ...]
    test: Callable[[object, object], bool]
    takes_list: bool = False


def _contains(fact, value) -> bool:
    return str(value).lower() in str(fact or "").lower()


def _ordered(compare: Callable[[float, float], bool]) -> Callable[[object, object], bool]:
    return lambda fact, value: fact is not None and compare(fact, value)


OPERATORS: dict[str, Operator] = {
    "eq": Operator("is", (CHOICE, TEXT, NUMBER, YES_NO), lambda fact, value: fact == value),
    "ne": Operator("is not", (CHOICE, TEXT, NUMBER, YES_NO), lambda fact, value: fact != value),
    "in": Operator("is one of", (CHOICE, TEXT, NUMBER), lambda fact, value: fact in value, takes_list=True),
    "not_in": Operator("is none of", (CHOICE, TEXT, NUMBER), lambda fact, value: fact not in value, takes_list=True),
    "gt": Operator("is more than", (NUMBER,), _ordered(lambda fact, value: fact > value)),
    "gte": Operator("is at least", (NUMBER,), _ordered(lambda fact, value: fact >= value)),
    "lt": Operator("is less than", (NUMBER,), _ordered(lambda fact, value: fact < value)),
    "lte": Operator("is at most", (NUMBER,), _ordered(lambda fact, value: fact <= value)),
    "contains": Operator("contains", (TEXT,), _contains),
}
YES, NO = ("yes", "true", "1"), ("no", "false", "0")


def _one_value(field: Field, raw):
    if field.type == NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValidationError(f"{field.label} compares numbers: {raw!r} is not a number.")
        try:
            number = float(raw) if "." in str(raw) else int(raw)
        except (ValueError, OverflowError):  # "²", "inf" and 5,000 digits included
            number = math.nan
        if isinstance(number, float) and not math.isfinite(number):
            raise ValidationError(f"{field.label} compares numbers: “{raw}” is not a number.")
        return number
    if field.type == YES_NO:
        word = str(raw).strip().lower()
        if word not in YES + NO:
            raise ValidationError(f"{field.label} is yes or no, not “{raw}”.")
        return word in YES
    value = str(raw).strip()
    if field.type == CHOICE and value not in field.choices:
        raise ValidationError(f"“{value}” is not a value of {field.label}: use one of {', '.join(field.choices)}.")
    return value


def parse_value(field_name: str, op: str, raw):
    """The typed value of a rule, from the editor's text or from stored JSON; a clear message when it is wrong."""
    field, operator = FIELDS[field_name], OPERATORS[op]
    if operator.takes_list:
        items = raw if isinstance(raw, list) else [part for part in str(raw).split(",") if part.strip()]
        if not items:
            raise ValidationError(f"{field.label} {operator.label}: give at least one value, separated by commas.")
        return [_one_value(field, item) for item in items]
    if raw in (None, "") and field.type != TEXT:
        raise ValidationError(f"{field.label} {operator.label}: give a value.")
    return _one_value(field, raw)


def clean_rule(rule) -> dict:
    if not isinstance(rule, dict):
        raise ValidationError("A condition is a field, an operator and a value.")
    name, op = rule.get("field"), rule.get("op")
    if not isinstance(name, str) or name not in FIELDS:
        raise ValidationError(f"Unknown field “{name}”: use one of {', '.join(FIELDS)}.")
    if not isinstance(op, str) or op not in OPERATORS:
        raise ValidationError(f"Unknown operator “{op}”: use one of {', '.join(OPERATORS)}.")
    if FIELDS[name].type not in OPERATORS[op].types:
        raise ValidationError(f"{FIELDS[name].label} cannot be compared with “{OPERATORS[op].label}”.")
    return {"field": name, "op": op, "value": parse_value(name, op, rule.get("value"))}


def _clean_match(match) -> str:
    if not isinstance(match, str) or match not in MATCHES:
        raise ValidationError(f"Combine with “all” (AND) or “any” (OR), not “{match}”.")
    return match


def clean_rules(rules, what: str) -> list[dict]:
    """Every rule checked; all the problems reported at once."""
    if not isinstance(rules, list):
        raise ValidationError(f"{what} must be a list of conditions.")
    return clean_each(rules, clean_rule, lambda _number: what)


def clean_conditions(conditions) -> dict:
    """The conditions, typed and validated against the known fields and operators."""
    conditions = conditions or {}
    if not isinstance(conditions, dict) or not isinstance(conditions.get("groups", []), list):
        raise ValidationError("Conditions are groups of rules.")
    groups, errors = [], []
    for number, group in enumerate(conditions.get("groups", []), start=1):
        group = group if isinstance(group, dict) else {}
        try:
            rules = clean_rules(group.get("rules", []), f"Group {number}")
            if not rules:
                raise ValidationError(f"Group {number} is empty: add a condition or remove the group.")
            groups.append({"match": _clean_match(group.get("match", "all")), "rules": rules})
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return {"match": _clean_match(conditions.get("match", "all")), "groups": groups}


def rule_holds(rule: dict, facts: dict) -> bool:
    return OPERATORS[rule["op"]].test(facts.get(rule["field"]), rule["value"])


def _combine(match: str, results) -> bool:
    return all(results) if match == "all" else any(results)


def conditions_hold(conditions: dict, facts: dict) -> bool:
    """Whether validated conditions hold for the facts; no groups holds for every ticket."""
    groups = conditions.get("groups", [])
    if not groups:
        return True
    return _combine(
        conditions.get("match", "all"),
        (_combine(group["match"], (rule_holds(rule, facts) for rule in group["rules"])) for group in groups),
    )


def describe_rule(rule: dict) -> str:
    value = rule["value"]
    shown = ", ".join(map(str, value)) if isinstance(value, list) else {True: "yes", False: "no"}.get(value, value)
    return f"{FIELDS[rule['field']].label} {OPERATORS[rule['op']].label} {shown}"


def describe_conditions(conditions: dict) -> str:
    groups = conditions.get("groups", [])
    if not groups:
        return "every ticket"
    joiner = {"all": " AND ", "any": " OR "}
    parts = [joiner[group["match"]].join(map(describe_rule, group["rules"])) for group in groups]
    return joiner[conditions.get("match", "all")].join(f"({part})" if len(groups) > 1 else part for part in parts)
