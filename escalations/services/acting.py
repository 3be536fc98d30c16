"""The batch a sweep of the SLA clock writes: what it reads once, and what it gathers in memory to write at once.

A sweep reads once what does not change while it runs (its `SweepContext`), works out every due ticket's actions in
memory (an `Acting` per ticket, so a failure drops that ticket alone), then writes a `Batch`: its SlaEvents, then
the tickets with their history, notifications and desk events through the one ticket write path (services.writing),
then escalations and transfers, with one statement each. The actions are in services.clock.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model

from escalations.bulk import insert_rows
from escalations.models import Escalation, Profile, Severity, SlaEvent, Ticket, Tier
from escalations.services.notifications import active_webhooks, managers_of, notification_rows, webhooks_for
from escalations.services.writing import TicketChange, tickets_write


@dataclass
class SweepContext:
    """What a sweep reads once, because it does not change while the sweep runs."""

    clock: object
    tiers: dict[int, Tier]
    severities: dict[int, Severity]
    managers: list
    webhooks: list
    away: frozenset[int]
    teams: dict[int, list] = field(default_factory=dict)

    @classmethod
    def load(cls, *, clock) -> "SweepContext":
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

    def __init__(self, context: SweepContext, tickets: list[Ticket], due: list[Due]):
        self.context = context
        self.before = {ticket.pk: _columns(ticket) for ticket in tickets}
        ids, deadlines = [ticket.pk for ticket in tickets], {item.deadline for item in due}
        acted_on = SlaEvent.objects.filter(ticket_id__in=ids, deadline__in=deadlines)
        self.claimed = set(acted_on.values_list("ticket_id", "kind", "deadline"))
        self._escalations: dict[int, list[tuple]] | None = None
        self.actions: list[Acting] = []

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
        insert_rows([event for acting in actions for event in acting.events])
        # Only what was acted on is written: a ticket dropped from the batch tells nobody.
        tickets_write(changed, [change for acting in actions for change in acting.changes], fields=fields)
        insert_rows([row for acting in actions for row in acting.escalations])
        insert_rows([row for acting in actions for row in acting.transfers])
        return sum(len(acting.events) for acting in actions)


@dataclass
class Acting:
    """What the clock does to one ticket in a batch, kept apart so that a failure drops this ticket alone."""

    batch: Batch
    ticket: Ticket
    events: list = field(default_factory=list)  # the SlaEvents that claim each deadline acted on
    changes: list[TicketChange] = field(default_factory=list)
    escalations: list = field(default_factory=list)
    transfers: list = field(default_factory=list)

    @property
    def context(self) -> SweepContext:
        return self.batch.context

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
        """This action's audited change: the ticket's state now, by the clock, with the reason."""
        self.changes.append(TicketChange(copy.copy(self.ticket), self.context.clock, reason))

    def add_desk_event(self, event: str, deadline: datetime) -> None:
        """A desk event for other apps (services.outbox) besides the change's "updated", keyed by the deadline."""
        self.changes[-1].events.append((event, deadline.isoformat()))

    def notify(self, subject: str, body: str, recipients) -> None:
        """Notifications (in-app, email, webhooks) of the last recorded change, written with it."""
        ticket = self.ticket
        webhooks = webhooks_for(ticket, self.context.webhooks)
        self.changes[-1].notifications += notification_rows(
            ticket=ticket, subject=subject, body=body, recipients=recipients, webhooks=webhooks
        )


def _columns(ticket: Ticket) -> dict:
    return {column.name: getattr(ticket, column.attname) for column in Ticket._meta.concrete_fields}


def _changed(before: dict, ticket: Ticket) -> list[str]:
    return [name for name, value in _columns(ticket).items() if value != before[name]]
