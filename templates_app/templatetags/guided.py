from django import template

from templates_app.domain.conditions import describe_conditions, describe_rule
from templates_app.domain.steps import describe_step

register = template.Library()

register.filter("step_text", describe_step)
register.filter("conditions_text", describe_conditions)
register.filter("rule_text", describe_rule)
