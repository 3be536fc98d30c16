"""A ticket's timeline: every recorded change, escalation, transfer, note and refusal, newest first."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from escalations.models import (
    BounceRefusal,
    Escalation,
    Notification,
    OwnershipTransfer,
    Severity,
    SlaEvent,
    Ticket,
    TicketNote,
    Tier,
)
from escalations.selectors.entries import TimelineEntry
from escalations.selectors.notifications import notification_entries, ticket_notifications

# Timeline sources of other apps (a function of the ticket returning entries), added in their AppConfig.ready.
EXTRA_SOURCES: list = []
TRACKED = [
    (Ticket._meta.get_field(name).verbose_name, Ticket._meta.get_field(name).attname)
    for name in ["status", "tier", "severity", "primary_owner", "backup_owner", "escalation_owner", "title"]
]


def _name(user) -> str:
    return user.get_username() if user else "system"


@dataclass(frozen=True)
class TicketRecords:
    """What the desk recorded on one ticket: its changes, the clock's actions and its notifications."""

    history: list
    sla_events: list[SlaEvent]
    notifications: list[Notification]


# The history columns the timeline and the templates' QA evidence read: a 50-change ticket reads no more.
HISTORY_COLUMNS = [
    "history_id",
    "history_date",
    "history_change_reason",
    "history_user__username",
    "acknowledged_at",
    *(attname for _label, attname in TRACKED),
]


def load_ticket_records(ticket: Ticket) -> TicketRecords:
    """Three queries, read fresh."""
    history = ticket.history.select_related("history_user").only(*HISTORY_COLUMNS)
    return TicketRecords(
        history=list(history.order_by("history_date", "history_id")),
        sla_events=list(ticket.sla_events.all()),
        notifications=ticket_notifications(ticket),
    )


def ticket_records(ticket: Ticket) -> TicketRecords:
    """The records read once per ticket object, so the timeline and other apps' panels of one page share them."""
    if not hasattr(ticket, "_page_records"):
        ticket._page_records = load_ticket_records(ticket)
    return ticket._page_records


def ticket_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """A fixed number of queries whatever the number of events."""
    records = ticket_records(ticket)
    entries = (
        _change_entries(records.history)
        + [
            _escalation_entry(e)
            for e in ticket.escalations.select_related("by", "from_tier", "to_tier", "new_owner").prefetch_related(
                "criteria"
            )
        ]
        + [_transfer_entry(t) for t in ticket.transfers.select_related("by", "from_owner", "to_owner")]
        + [_note_entry(n) for n in ticket.notes.select_related("author")]
        + [_sla_entry(event) for event in records.sla_events]
        + notification_entries(ticket, rows=records.notifications)
        + [
            _refusal_entry(r)
            for r in BounceRefusal.objects.filter(ticket=ticket).select_related("by", "from_tier", "to_tier")
        ]
        + [entry for source in EXTRA_SOURCES for entry in source(ticket)]
    )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _escalation_entry(escalation: Escalation) -> TimelineEntry:
    direction = "De-escalated" if escalation.kind == Escalation.Kind.DEESCALATION else "Escalated"
    criteria = "".join(f"\n• {criterion.text}" for criterion in escalation.criteria.all())
    return TimelineEntry(
        at=escalation.created_at,
        actor=_name(escalation.by),
        kind="escalation",
        title=(
            f"{direction} {escalation.from_tier.label} → {escalation.to_tier.label} ({escalation.get_kind_display()})"
        ),
        body=escalation.rationale + criteria,
        link=reverse("escalations:escalation", args=[escalation.pk]),
    )


def _transfer_entry(transfer: OwnershipTransfer) -> TimelineEntry:
    return TimelineEntry(
        at=transfer.created_at,
        actor=_name(transfer.by),
        kind="transfer",
        title=(
            f"{transfer.get_role_display()} transferred: "
            f"{_name(transfer.from_owner) if transfer.from_owner else '—'} → {_name(transfer.to_owner)}"
        ),
        body=f"{transfer.reason}\nExpected response within {transfer.expected_response}.",
    )


def _note_entry(note: TicketNote) -> TimelineEntry:
    return TimelineEntry(
        at=note.created_at,
        actor=_name(note.author),
        kind=f"note-{note.visibility}",
        title=note.get_visibility_display(),
        body=note.body,
    )


def _sla_entry(event: SlaEvent) -> TimelineEntry:
    late = int(event.lateness.total_seconds())
    return TimelineEntry(
        at=event.acted_at,
        actor="sla-clock",
        kind="sla",
        title=f"{event.get_kind_display()} (due {timezone.localtime(event.deadline):%H:%M:%S}, acted {late}s later)",
        body=event.outcome,
    )


def _refusal_entry(refusal: BounceRefusal) -> TimelineEntry:
    return TimelineEntry(
        at=refusal.created_at,
        actor=_name(refusal.by),
        kind="refusal",
        title=f"Ping-pong refused: {refusal.from_tier.label} → {refusal.to_tier.label}",
        body="Flagged for a manager.",
    )


def _change_entries(records: list) -> list[TimelineEntry]:
    display = _display(records)
    entries, previous = [], None
    for record in records:
        changed = [
            (label, attname)
            for label, attname in TRACKED
            if previous and getattr(previous, attname) != getattr(record, attname)
        ]
        entries.append(
            TimelineEntry(
                record.history_date,
                _name(record.history_user),
                "change",
                record.history_change_reason or ("Updated" if previous else "Opened"),
                changes=[(label, display(attname, previous), display(attname, record)) for label, attname in changed],
            )
        )
        previous = record
    return entries


def _display(records):
    """Human names for the tracked fields' values, looked up with one query per table."""
    owner_fields = ("primary_owner_id", "backup_owner_id", "escalation_owner_id")
    user_ids = {getattr(record, name) for record in records for name in owner_fields} - {None}
    people = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    lookups = {
        "status": dict(Ticket.Status.choices),
        "tier_id": {tier.pk: tier.label for tier in Tier.objects.all()},
        "severity_id": dict(Severity.objects.values_list("pk", "code")),
    } | {name: people for name in owner_fields}

    def display(attname: str, record) -> str:
        value = getattr(record, attname)
        if value is None:
            return "—"
        lookup = lookups.get(attname)
        return str(lookup.get(value, value)) if lookup is not None else str(value)

    return display
