"""Simulate a version on the last N days: replay stored tickets and their events through it, read-only.

Each stored event is checked against the version with the facts the ticket had at that moment (its history row),
through the same facts and conditions code that live execution uses, and with the same run-once rule:
one run per ticket, version, event and occurrence (a deadline, an inbound event). Steps are planned, not run;
owners are resolved on today's teams, which is what a run now would use.
"""

import bisect
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.utils import timezone

from escalations.models import Account, Severity, SlaEvent, Ticket, Tier
from templates_app.domain import targets
from templates_app.domain.conditions import conditions_hold
from templates_app.domain.facts import account_facts, facts
from templates_app.domain.steps import describe_step
from templates_app.models import InboundEvent, TemplateVersion
from templates_app.models.governance import Event

STATE_FIELDS = (
    "id",
    "number",
    "history_date",
    "severity_id",
    "tier_id",
    "category",
    "status",
    "title",
    "primary_owner_id",
    "resolution_due",
    "account_id",
)
SLA_EVENTS = {
    Event.SLA_AT_RISK: [SlaEvent.Kind.ESCALATE_AT],
    Event.SLA_BREACHED: [SlaEvent.Kind.FIRST_RESPONSE_BREACH, SlaEvent.Kind.RESOLUTION_BREACH],
    Event.ACK_TIMEOUT: [SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT],
}
OPEN = set(Ticket.OPEN_STATUSES)
# The clock saves the ticket just after it records the event: the state a live run sees is that save's.
CLOCK_SAVE_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class Match:
    ticket_id: int
    number: int
    at: datetime
    key: str

    @property
    def reference(self) -> str:
        return f"{Ticket.REFERENCE_PREFIX}{self.number}"


@dataclass
class Replay:
    version: TemplateVersion
    matches: list[Match]
    events: int
    plan: list[str]
    owners: list[str]

    @property
    def ticket_ids(self) -> set[int]:
        return {match.ticket_id for match in self.matches}


@dataclass
class Simulation:
    days: int
    seconds: float
    candidate: Replay
    active: Replay | None
    only_candidate: list[str] = field(default_factory=list)
    only_active: list[str] = field(default_factory=list)


class _Facts:
    """History rows to facts, with the lookups done once per simulation."""

    def __init__(self):
        self.severity = dict(Severity.objects.values_list("pk", "code"))
        self.tier = dict(Tier.objects.values_list("pk", "level"))
        self.account = {account.pk: account_facts(account) for account in Account.objects.all()}

    def of(self, row: dict, at: datetime, inbound: dict | None = None) -> dict:
        return facts(
            severity=self.severity[row["severity_id"]],
            tier=self.tier[row["tier_id"]],
            category=row["category"],
            status=row["status"],
            title=row["title"],
            has_owner=row["primary_owner_id"] is not None,
            resolution_due=row["resolution_due"],
            at=at,
            account=self.account[row["account_id"]],
            inbound=inbound,
        )


def _history(**filters):
    return Ticket.history.filter(**filters).order_by("id", "history_date", "history_id").values(*STATE_FIELDS)


def _ticket_events(version: TemplateVersion, since: datetime, until: datetime):
    """(row, at, key, inbound) for every stored occurrence of the version's event, oldest first per ticket."""
    if version.event in (Event.CREATED, Event.UPDATED):
        kind = "+" if version.event == Event.CREATED else "~"
        for row in _history(history_type=kind, history_date__gte=since, history_date__lte=until).iterator(2000):
            yield row, row["history_date"], "", None
        return
    if version.event == Event.INBOUND:
        occurrences = [
            (event.ticket_id, event.received_at, f"inbound-{event.pk}", {"name": event.name, "source": event.source})
            for event in InboundEvent.objects.filter(received_at__gte=since, received_at__lte=until).order_by("pk")
        ]
    elif version.event in SLA_EVENTS:
        events = SlaEvent.objects.filter(kind__in=SLA_EVENTS[version.event], acted_at__gte=since, acted_at__lte=until)
        occurrences = [
            (ticket_id, acted_at + CLOCK_SAVE_SLACK, deadline.isoformat(), None)
            for ticket_id, acted_at, deadline in events.order_by("acted_at").values_list(
                "ticket_id", "acted_at", "deadline"
            )
        ]
    else:
        return  # exception runbooks run when another template fails, never on a stored event
    states = _states_at([(ticket_id, at) for ticket_id, at, *_ in occurrences], until)
    for state, (_ticket_id, at, key, inbound) in zip(states, occurrences, strict=True):
        if state is not None:
            yield state, at, key, inbound


def _states_at(moments: list[tuple[int, datetime]], until: datetime) -> list[dict | None]:
    """Each (ticket, moment)'s history row then (None before the ticket existed), in one query."""
    rows = defaultdict(list)
    for row in _history(id__in={ticket_id for ticket_id, _at in moments}, history_date__lte=until).iterator(2000):
        rows[row["id"]].append(row)
    found = []
    for ticket_id, at in moments:
        states = rows[ticket_id]
        index = bisect.bisect_right([state["history_date"] for state in states], at) - 1
        found.append(states[index] if index >= 0 else None)
    return found


def _plan(version: TemplateVersion) -> tuple[list[str], list[str]]:
    """What the steps would do, and whom the assign steps would pick on today's teams."""
    owners = []
    for step in version.steps:
        if step["kind"] == "assign":
            person = targets.person_for(step)
            owners.append(f"{describe_step(step)} → {person.get_username() if person else 'nobody available'}")
    return [describe_step(step) for step in version.steps], owners


def replay(version: TemplateVersion, *, since: datetime, until: datetime) -> Replay:
    lookups, seen, matches, events = _Facts(), set(), [], 0
    for row, at, key, inbound in _ticket_events(version, since, until):
        events += 1
        if (row["id"], key) in seen or not conditions_hold(version.conditions, lookups.of(row, at, inbound)):
            continue
        seen.add((row["id"], key))
        matches.append((Match(row["id"], row["number"], at, key), inbound))
    if version.delay_minutes:
        matches = _still_holding(version, matches, lookups, until)
    plan, owners = _plan(version)
    return Replay(version, [match for match, _inbound in matches], events, plan, owners)


def _still_holding(version: TemplateVersion, matches: list, lookups: _Facts, until: datetime) -> list:
    """A delayed version runs `delay_minutes` after the event, on an open ticket whose conditions still hold then.

    The ticket's state at that moment is its history row then, as for the event itself; occurrences whose delay
    has not passed by `until` have not run yet.
    """
    delay = timedelta(minutes=version.delay_minutes)
    due = [(replace(match, at=match.at + delay), inbound) for match, inbound in matches if match.at + delay <= until]
    states = _states_at([(match.ticket_id, match.at) for match, _inbound in due], until)
    kept = []
    for state, (match, inbound) in zip(states, due, strict=True):
        if (
            state
            and state["status"] in OPEN
            and conditions_hold(version.conditions, lookups.of(state, match.at, inbound))
        ):
            kept.append((match, inbound))
    return kept


def simulate(version: TemplateVersion, *, days: int, now: datetime | None = None) -> Simulation:
    """The version on the last `days` days, beside the template's active version when there is another one."""
    until = now or timezone.now()
    since, started = until - timedelta(days=days), time.perf_counter()
    candidate = replay(version, since=since, until=until)
    current = version.template.versions.filter(status=TemplateVersion.Status.ACTIVE).exclude(pk=version.pk).first()
    active = replay(current, since=since, until=until) if current else None
    simulation = Simulation(days, 0.0, candidate, active)
    if active:
        references = {match.ticket_id: match.reference for match in candidate.matches + active.matches}
        simulation.only_candidate = sorted(references[pk] for pk in candidate.ticket_ids - active.ticket_ids)
        simulation.only_active = sorted(references[pk] for pk in active.ticket_ids - candidate.ticket_ids)
    simulation.seconds = time.perf_counter() - started
    return simulation
