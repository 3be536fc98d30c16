from datetime import timedelta

from django import template

from escalations.durations import format_duration

register = template.Library()


@register.filter
def sla(duration: timedelta | None) -> str:
    """An SLA duration the way the team writes it: 4h, 30m, 1h30m."""
    return format_duration(duration) if duration else "—"
