from django import template

from escalations import roles
from templates_app.conditions import describe_conditions, describe_rule
from templates_app.selectors import ticket_panel
from templates_app.steps import describe_step

register = template.Library()

register.filter("step_text", describe_step)
register.filter("conditions_text", describe_conditions)
register.filter("rule_text", describe_rule)


@register.inclusion_tag("templates_app/_ticket_panel.html", takes_context=True)
def guided_panel(context, ticket):
    """What guided templates did on the ticket: checklist to sign, QA checks, war rooms and linked records."""
    may_record = roles.can_work_ticket(ticket, context["request"].user)
    return ticket_panel(ticket) | {"ticket": ticket, "csrf_token": context.get("csrf_token"), "may_record": may_record}
