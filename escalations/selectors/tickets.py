"""Queries that feed the desk's pages; each page costs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from escalations.models import Severity, Ticket, Tier

TIMELINE_FIELDS = ["status", "tier", "severity", "primary_owner", "backup_owner", "escalation_owner", "title"]


def visible_tickets(user) -> QuerySet[Ticket]:
    """Everyone who works tickets may read any ticket: escalations cross teams by design."""
    if user.has_perm("escalations.view_ticket"):
        return Ticket.objects.all()
    return Ticket.objects.none()


def ticket_detail(*, user, number: int) -> Ticket | None:
    return (
        visible_tickets(user)
        .select_related(
            "account", "severity", "tier__team", "primary_owner", "backup_owner", "escalation_owner", "created_by"
        )
        .filter(number=number)
        .first()
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    reason: str
    changes: list[tuple[str, str, str]]


def ticket_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """Every recorded change of the ticket, newest first, with who, when, why and what changed."""
    records = list(ticket.history.select_related("history_user").order_by("history_date", "history_id"))
    tiers = {tier.pk: tier.label for tier in Tier.objects.all()}
    user_ids = {getattr(r, f"{f}_id") for r in records for f in ("primary_owner", "backup_owner", "escalation_owner")}
    people = dict(get_user_model().objects.filter(pk__in=user_ids - {None}).values_list("pk", "username"))
    display = _timeline_display(tiers, people, dict(Severity.objects.values_list("pk", "code")))
    entries, previous = [], None
    for record in records:
        changes = [
            (
                Ticket._meta.get_field(name).verbose_name,
                display(name, getattr(previous, _attname(name))),
                display(name, getattr(record, _attname(name))),
            )
            for name in TIMELINE_FIELDS
            if previous is not None and getattr(previous, _attname(name)) != getattr(record, _attname(name))
        ]
        actor = record.history_user.get_username() if record.history_user else "system"
        entries.append(TimelineEntry(record.history_date, actor, record.history_change_reason or "", changes))
        previous = record
    return entries[::-1]


def _attname(field_name: str) -> str:
    return Ticket._meta.get_field(field_name).attname


def _timeline_display(tiers: dict, people: dict, severities: dict):
    statuses = dict(Ticket.Status.choices)

    def display(name: str, value) -> str:
        if value is None:
            return "—"
        lookup = {"status": statuses, "tier": tiers, "severity": severities}.get(
            name, people if name.endswith("owner") else None
        )
        return str(lookup.get(value, value)) if lookup is not None else str(value)

    return display
