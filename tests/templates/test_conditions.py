"""Trigger conditions: every operator, AND/OR groups, and bad input refused with a message that says what is wrong."""

import pytest
from django.core.exceptions import ValidationError

from templates_app.domain.conditions import clean_conditions, conditions_hold, describe_conditions

FACTS = {
    "severity": "P1",
    "critical": True,
    "tier": 2,
    "title": "Lead routing failed for paid campaign",
    "account_tier": "enterprise",
    "account_arr": 120_000,
    "minutes_past_due": 45,
}


def _one(field: str, op: str, value) -> dict:
    return clean_conditions({"groups": [{"rules": [{"field": field, "op": op, "value": value}]}]})


@pytest.mark.parametrize(
    ("field", "op", "value", "holds"),
    [
        ("severity", "eq", "P1", True),
        ("severity", "eq", "P0", False),
        ("severity", "ne", "P0", True),
        ("severity", "in", "P0, P1", True),
        ("severity", "not_in", ["P0", "P1"], False),
        ("account_arr", "gt", "100000", True),
        ("account_arr", "gte", 120000, True),
        ("account_arr", "lt", "120000", False),
        ("minutes_past_due", "lte", "45", True),
        ("title", "contains", "PAID campaign", True),
        ("title", "contains", "content QA", False),
        ("critical", "eq", "yes", True),
        ("tier", "in", "1,3", False),
    ],
)
def test_each_operator_compares_the_fact_with_the_value(field, op, value, holds):
    assert conditions_hold(_one(field, op, value), FACTS) is holds


def test_a_group_of_all_needs_every_rule_and_a_group_of_any_needs_one():
    rules = [{"field": "severity", "op": "eq", "value": "P1"}, {"field": "tier", "op": "eq", "value": "3"}]
    assert conditions_hold(clean_conditions({"groups": [{"match": "all", "rules": rules}]}), FACTS) is False
    assert conditions_hold(clean_conditions({"groups": [{"match": "any", "rules": rules}]}), FACTS) is True


def test_groups_combine_with_the_top_level_match():
    enterprise = {"rules": [{"field": "account_tier", "op": "eq", "value": "enterprise"}]}
    top_tier = {"rules": [{"field": "tier", "op": "eq", "value": "3"}]}
    both = clean_conditions({"match": "all", "groups": [enterprise, top_tier]})
    either = clean_conditions({"match": "any", "groups": [enterprise, top_tier]})
    assert (conditions_hold(both, FACTS), conditions_hold(either, FACTS)) == (False, True)
    assert describe_conditions(either) == "(Account tier is enterprise) OR (Tier level is 3)"


def test_no_groups_matches_every_ticket():
    assert conditions_hold(clean_conditions({}), FACTS) is True


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "mood", "op": "eq", "value": "bad"}, "Unknown field “mood”"),
        ({"field": "severity", "op": "like", "value": "P1"}, "Unknown operator “like”"),
        ({"field": "tier", "op": "eq", "value": "three"}, "“three” is not a number"),
        ({"field": "severity", "op": "eq", "value": "Critical"}, "“Critical” is not a value of Severity"),
        ({"field": "severity", "op": "gt", "value": "P1"}, "Severity cannot be compared with “is more than”"),
        ({"field": "critical", "op": "eq", "value": "maybe"}, "is yes or no"),
        ({"field": "severity", "op": "in", "value": ""}, "give at least one value"),
        ("__import__('os')", "A condition is a field, an operator and a value"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule, message):
    with pytest.raises(ValidationError) as refused:
        clean_conditions({"groups": [{"rules": [rule]}]})
    assert message in " ".join(refused.value.messages)


def test_an_empty_group_is_refused():
    with pytest.raises(ValidationError, match="Group 1 is empty"):
        clean_conditions({"groups": [{"match": "all", "rules": []}]})


def test_every_problem_is_reported_at_once():
    bad = {"groups": [{"rules": [{"field": "mood", "op": "eq", "value": 1}]}, {"rules": []}]}
    with pytest.raises(ValidationError) as refused:
        clean_conditions(bad)
    assert len(refused.value.messages) == 2
