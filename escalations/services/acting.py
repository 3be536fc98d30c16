"""The batch a sweep of the SLA clock writes: what it reads once, and what it gathers in memory to write at once.

A sweep reads what does not change while it runs once (a `Rota`), works out every due ticket's actions in memory
(an `Acting` per ticket, so a failure drops that ticket alone), then writes a `Batch`'s events, tickets, history,
escalations, transfers and notifications with one statement each. The actions are in services.clock.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.utils import timezone

from escalations.bulk import insert_rows, update_rows
from escalations.models import Escalation, OwnershipTransfer, Profile, Severity, SlaEvent, Ticket, Tier
from escalations.notifications import (
    active_webhooks,
    managers_of,
    notification_rows,
    notifications_save_many,
    webhooks_for,
)
from escalations.services.outbox import record_ticket_events


@dataclass
class Rota:
    """What a sweep reads once, because it does not change while the sweep runs."""

    clock: object
    tiers: dict[int, Tier]
    severities: dict[int, Severity]
    managers: list
    webhooks: list
    away: frozenset[int]
    teams: dict[int, list] = field(default_factory=dict)

    @classmethod
    def load(cls, *, clock) -> "Rota":
        with_calendars = ("calendar", "calendar__holidays")  # each calendar's WorkingTime is then read once
        return cls(
            clock=clock,
            tiers={tier.pk: tier for tier in Tier.objects.select_related("team").prefetch_related(*with_calendars)},
            severities={severity.pk: severity for severity in Severity.objects.prefetch_related(*with_calendars)},
            managers=list(managers_of()),
            webhooks=active_webhooks(),
            away=frozenset(Profile.objects.filter(is_away=True).values_list("user_id", flat=True)),
        )

    @property
    def ladder_ends(self) -> tuple[int, int]:
        """The lowest and highest active levels, which Ticket.has_tier_above/below would each read with a query."""
        levels = [tier.level for tier in self.tiers.values() if tier.is_active]
        return min(levels, default=None), max(levels, default=None)

    def above(self, tier: Tier) -> Tier | None:
        """The next active tier up the ladder."""
        higher = [other for other in self.tiers.values() if other.is_active and other.level > tier.level]
        return min(higher, key=lambda other: other.level, default=None)

    def team(self, tier: Tier) -> list:
        if tier.team_id not in self.teams:
            self.teams[tier.team_id] = list(get_user_model().objects.filter(groups=tier.team_id, is_active=True))
        return self.teams[tier.team_id]

    def available(self, person) -> bool:
        return person is not None and person.is_active and person.pk not in self.away


class Due(NamedTuple):
    ticket_id: int
    field: str  # the Ticket deadline column that passed
    deadline: datetime


class Batch:
    """The writes of a batch of tickets' actions, gathered in memory and written with one query per table."""

    def __init__(self, rota: Rota, tickets: list[Ticket], due: list[Due]):
        self.rota = rota
        self.before = {ticket.pk: _columns(ticket) for ticket in tickets}
        ids, deadlines = [ticket.pk for ticket in tickets], {item.deadline for item in due}
        acted_on = SlaEvent.objects.filter(ticket_id__in=ids, deadline__in=deadlines)
        self.claimed = set(acted_on.values_list("ticket_id", "kind", "deadline"))
        self._escalations: dict[int, list[tuple]] | None = None
        self.actions: list["Acting"] = []

    def escalations(self, ticket_id: int) -> list[tuple]:
        """(from tier, when) of the ticket's moves up, read for the whole batch when first asked."""
        if self._escalations is None:
            self._escalations = defaultdict(list)
            moves = Escalation.objects.filter(ticket_id__in=self.before).exclude(kind=Escalation.Kind.DEESCALATION)
            for ticket_id_, from_tier_id, at in moves.values_list("ticket_id", "from_tier_id", "created_at"):
                self._escalations[ticket_id_].append((from_tier_id, at))
        return self._escalations[ticket_id]

    def write(self) -> int:
        actions = [acting for acting in self.actions if acting.acted]
        changed = [acting.ticket for acting in actions]
        fields = sorted({name for ticket in changed for name in _changed(self.before[ticket.pk], ticket)})
        now = timezone.now()
        for ticket in changed:
            ticket.updated_at = now  # an UPDATE skips auto_now; forms compare it to refuse stale edits
        insert_rows([event for acting in actions for event in acting.events])
        # Row by row SQL, not QuerySet.bulk_update, whose CASE per column and row costs ~1 ms a ticket to build.
        update_rows(changed, [*fields, "updated_at"])
        # An UPDATE writes no history: one row per action, with the clock as actor and the reason.
        Ticket.history.bulk_history_create([row for acting in actions for row in acting.history], update=True)
        insert_rows([row for acting in actions for row in acting.escalations])
        insert_rows([row for acting in actions for row in acting.transfers])
        notifications_save_many([row for acting in actions for row in acting.notifications])
        # Only for what was written: a ticket dropped from the batch tells nobody.
        record_ticket_events([(acting.ticket, event, key) for acting in actions for event, key in acting.ticket_events])
        return sum(len(acting.events) for acting in actions)


@dataclass
class Acting:
    """What the clock does to one ticket in a batch, kept apart so that a failure drops this ticket alone."""

    batch: Batch
    ticket: Ticket
    events: list = field(default_factory=list)
    history: list = field(default_factory=list)
    escalations: list = field(default_factory=list)
    transfers: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    ticket_events: list[tuple[str, str]] = field(default_factory=list)  # (event, key) for services.outbox

    @property
    def rota(self) -> Rota:
        return self.batch.rota

    @property
    def acted(self) -> bool:
        return bool(self.events)

    def claim(self, kind: str, deadline: datetime, outcome: str) -> bool:
        """False when this deadline was already acted on (by another run, or earlier in this batch)."""
        key = (self.ticket.pk, kind, deadline)
        if key in self.batch.claimed:
            return False
        self.batch.claimed.add(key)
        self.events.append(SlaEvent(ticket=self.ticket, kind=kind, deadline=deadline, outcome=outcome[:300]))
        return True

    def record(self, reason: str) -> None:
        """The ticket's history entry for this action: its state now, by the clock, with the reason."""
        snapshot = copy.copy(self.ticket)
        snapshot._history_user, snapshot._change_reason = self.rota.clock, reason
        self.history.append(snapshot)
        self.ticket_events.append(("updated", ""))  # as save_with_audit records for every audited change

    def tell(self, event: str, deadline: datetime) -> None:
        """Tell other apps of this action: a desk event written with the batch (see services.outbox)."""
        self.ticket_events.append((event, deadline.isoformat()))

    def notify(self, subject: str, body: str, recipients) -> None:
        ticket = self.ticket
        webhooks = webhooks_for(ticket, self.rota.webhooks)
        self.notifications += notification_rows(
            ticket=ticket, subject=subject, body=body, recipients=recipients, webhooks=webhooks
        )


def _columns(ticket: Ticket) -> dict:
    return {column.name: getattr(ticket, column.attname) for column in Ticket._meta.concrete_fields}


def _changed(before: dict, ticket: Ticket) -> list[str]:
    return [name for name, value in _columns(ticket).items() if value != before[name]]
