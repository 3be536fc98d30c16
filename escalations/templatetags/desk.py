from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from escalations.domain.durations import format_duration

register = template.Library()

SLA_CLASSES = {"ok": "sla-ok", "at_risk": "sla-risk", "breached": "sla-breached"}


@register.filter
def sla(duration: timedelta | None) -> str:
    """An SLA duration the way the team writes it: 4h, 30m, 1h30m."""
    return format_duration(duration) if duration else "—"


def _roughly(duration: timedelta) -> str:
    """Time left or late at a glance: 2d 4h, 3h 20m, 12m."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


@register.simple_tag
def sla_countdown(ticket, now: datetime | None = None) -> str:
    """The next deadline, coloured ok / at risk / breached, with the exact time on hover.

    A tag rather than an included template: queues draw fifty of these and this is the page's hot path.
    """
    now = now or timezone.now()
    deadline, state = ticket.next_deadline, ticket.sla_state(now)
    text = f"breached {_roughly(now - deadline)} ago" if state == "breached" else f"{_roughly(deadline - now)} left"
    exact = timezone.localtime(deadline).strftime("%a %d %b, %H:%M %Z")
    return format_html(
        '<span class="{}" title="Due {}" data-sla="{}">{}</span>', SLA_CLASSES[state], exact, state, text
    )


@register.simple_tag
def timeline_item(entry) -> str:
    """One timeline entry. A tag rather than template markup: a long timeline draws fifty of these per view."""
    when = timezone.localtime(entry.at).strftime("%a %d %b %Y, %H:%M")
    link_text = "handoff brief" if entry.kind == "escalation" else "details"
    link = format_html(' · <a href="{}">{}</a>', entry.link, link_text) if entry.link else ""
    body = format_html('<div class="small text-pre-wrap">{}</div>', entry.body) if entry.body else ""
    changes = format_html_join(
        "",
        '<div class="small">{}: {} → <strong>{}</strong></div>',
        ((capfirst(label), old, new) for label, old, new in entry.changes),
    )
    return format_html(
        '<li class="timeline-{}"><div class="small text-body-secondary">{} · {}</div>'
        '<div class="fw-semibold">{}{}</div>{}{}</li>',
        entry.kind,
        when,
        entry.actor,
        entry.title,
        link,
        body,
        changes,
    )


@register.simple_tag(takes_context=True)
def ticket_panel(context, panel_template: str, panel_context: dict) -> str:
    """Another app's panel (escalations.selectors.panels), drawn in the page's context like an include."""
    with context.push(panel_context):
        return context.template.engine.get_template(panel_template).render(context)
