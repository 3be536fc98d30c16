"""The one way tickets are written, for one ticket (every service) or a batch (the SLA clock, the volume seeder).

Whoever changes a ticket, the change is written the same way: the ticket's row with its auto_now columns stamped,
a history entry per change with its actor and reason (simple-history's bulk_history_create), and the change's
desk events (services.outbox). A new column, auto_now field or event consumer is then written everywhere at once.
Rows are written with one statement for the whole batch (escalations.bulk), which a sweep needs to keep its speed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from escalations.bulk import update_rows
from escalations.models import Notification, Ticket
from escalations.services.notifications import notifications_save_many
from escalations.services.outbox import record_ticket_events

UPDATED = ("updated", "")  # the desk event of every audited change; other events (a breach, a timeout) add to it


@dataclass
class TicketChange:
    """One audited change of a ticket: its state after it, who made it, why, its desk events and notifications.

    `state` is the ticket itself, or a copy taken when a batch changes one ticket several times. `at` is when it
    happened, for a replayed past (the volume seeder); otherwise the moment it is written.
    """

    state: Ticket
    by: object
    reason: str
    events: list[tuple[str, str]] = field(default_factory=lambda: [UPDATED])  # (event, key) for services.outbox
    notifications: list[Notification] = field(default_factory=list)
    created: bool = False  # the ticket's opening: its first history entry ("+")
    at: datetime | None = None


def tickets_write(
    tickets: Sequence[Ticket], changes: Sequence[TicketChange], *, fields: Sequence[str] | None = None
) -> None:
    """Write `tickets` as they are now, then each change's history entry, notifications and desk events.

    New tickets are inserted; the others have `fields` (None: every column) and their auto_now columns written,
    unless their row changed since it was loaded: then ConcurrentTransition, and nothing is written.
    """
    with transaction.atomic(savepoint=False):
        _write_rows(tickets, fields)
        now = timezone.now()
        for change in changes:
            change.state._history_user, change.state._change_reason = change.by, change.reason
            if change.at:
                change.state._history_date = change.at
        for created in (True, False):
            states = [change.state for change in changes if change.created == created]
            Ticket.history.bulk_history_create(states, update=not created, default_date=now)
        notifications_save_many([row for change in changes for row in change.notifications])
        record_ticket_events([(change.state, event, key) for change in changes for event, key in change.events])


def _write_rows(tickets: Sequence[Ticket], fields: Sequence[str] | None) -> None:
    meta = Ticket._meta
    new, changed = [ticket for ticket in tickets if ticket._state.adding], [t for t in tickets if not t._state.adding]
    Ticket.objects.bulk_create(new)
    names = fields if fields is not None else [column.name for column in meta.concrete_fields if not column.primary_key]
    stamped = [column.name for column in meta.concrete_fields if getattr(column, "auto_now", False)]
    written = update_rows(changed, [*dict.fromkeys([*names, *stamped])], unless_changed=meta.get_field("updated_at"))
    if written < len(changed):
        raise ConcurrentTransition("A ticket changed since it was loaded; nothing was saved.")
    for ticket in tickets:
        ticket._update_initial_state()  # what django-fsm-2 compares a later save() against
