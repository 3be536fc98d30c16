"""A realistic ticket volume, inserted in bulk: for benchmarks and for the KPI and SLA work that needs months of data.

Tickets are spread over the last N days with the desk's real shape: the severity mix, the severity routing, owners
of the right tier, escalations up and down the ladder, ownership transfers, notes, and a history row (`+` when
opened, `~` for every change, with the actor and the reason) so the timeline and the reports read them like any
other ticket. Each step runs the ticket's own FSM transition in memory, at the moment it happened (so pauses,
deadlines and tier moves are the model's), and a batch of tickets is written through the one ticket write path
(services.writing) with no desk event and no notification: nothing is told and nothing is queued. The breach
columns are set as the SLA clock would have set them by now. Ticket and escalation ids are allocated here, and the
sequences reset afterwards.

The helpers it needs (accounts "Volume account 0001"…, agents "volume.l1.01"…, "volume.manager") are looked up by
name and created only when missing, so running it again adds tickets, never a second set of people.
"""

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from escalations import roles
from escalations.bulk import insert_rows
from escalations.models import (
    Account,
    Escalation,
    EscalationNote,
    OwnershipTransfer,
    Severity,
    Ticket,
    TicketNote,
    Tier,
)
from escalations.services import DEESCALATION_REASONS
from escalations.services.tickets import FIRST_TICKET_NUMBER
from escalations.services.writing import TicketChange, tickets_write

BATCH_SIZE = 2_000
ACCOUNT_COUNT = 200
ACCOUNT_NAME = "Volume account {:04d}"
AGENT_NAME = "volume.l{level}.{index:02d}"
MANAGER_NAME = "volume.manager"
AGENTS_PER_LEVEL = {1: 12, 2: 8, 3: 6}
DEFAULT_AGENTS = 4
EVENTS_TITLE = "Volume benchmark: ticket with {events} timeline events"
EVENTS_TITLE_PREFIX = "Volume benchmark: ticket with "

SEVERITY_MIX = {"P0": 1, "P1": 4, "P2": 20, "P3": 75}
ACCOUNT_TIER_MIX = {
    Account.AccountTier.ENTERPRISE: 10,
    Account.AccountTier.PREMIUM: 25,
    Account.AccountTier.STANDARD: 65,
}
UPWARD_KINDS = {
    Escalation.Kind.MANUAL: 60,
    Escalation.Kind.SLA: 20,
    Escalation.Kind.FAILOVER: 10,
    Escalation.Kind.SEVERITY: 5,
    Escalation.Kind.OVERRIDE: 5,
}
P_ESCALATE, P_ESCALATE_AGAIN, P_DEESCALATE, P_TOP_DEESCALATE = 0.27, 0.2, 0.15, 0.08
P_WAIT, P_TRANSFER = 0.25, 0.10
TRANSFER_ROLES = {OwnershipTransfer.Role.PRIMARY: 55, OwnershipTransfer.Role.BACKUP: 35, "escalation": 10}
NOTE_COUNTS = {0: 50, 1: 30, 2: 15, 3: 5}
# Share of tickets still open by age: recent ones are being worked, almost every old one is done.
OPEN_BY_AGE = [
    (timedelta(hours=4), 0.9),
    (timedelta(days=1), 0.6),
    (timedelta(days=3), 0.25),
    (timedelta(days=7), 0.08),
    (timedelta(days=30), 0.015),
]
OPEN_OLDER = 0.002
OPEN_MIX = {"new": 8, "assigned": 22, "in_progress": 50, "waiting_on_customer": 20}

CATEGORY_MIX = {
    Ticket.Category.HOW_TO: 22,
    Ticket.Category.ACCOUNT: 16,
    Ticket.Category.BUG: 16,
    Ticket.Category.AUTHENTICATION: 12,
    Ticket.Category.INTEGRATION: 10,
    Ticket.Category.BILLING: 9,
    Ticket.Category.PERFORMANCE: 7,
    Ticket.Category.DATA: 5,
    Ticket.Category.SECURITY: 3,
}
TITLES = {
    Ticket.Category.AUTHENTICATION: ["SSO login fails intermittently", "MFA codes rejected", "Locked out after reset"],
    Ticket.Category.BILLING: ["Duplicate charge on renewal", "Invoice shows the wrong VAT", "Card declined at upgrade"],
    Ticket.Category.INTEGRATION: ["Webhook deliveries delayed", "API returns 429 under normal load", "Sync job stuck"],
    Ticket.Category.PERFORMANCE: ["Dashboard takes 30 s to load", "Search times out", "Exports slow since Monday"],
    Ticket.Category.DATA: ["Report totals differ from the dashboard", "Records missing after import"],
    Ticket.Category.BUG: ["Bulk import rejects large files", "Date picker shows the wrong month", "Emails sent twice"],
    Ticket.Category.SECURITY: ["Logins from an unknown IP", "Audit log has gaps", "Shared link still public"],
    Ticket.Category.HOW_TO: ["How do I export invoices as CSV?", "How to add a second admin?", "Set up SAML SSO"],
    Ticket.Category.ACCOUNT: ["Password reset email never arrives", "Change the account owner", "Close a workspace"],
}
NOTE_BODIES = [
    "Asked the customer for a HAR file and the exact time of the failure.",
    "Reproduced on a test account; request id in the logs.",
    "Customer confirmed the workaround helps for now.",
    "Checked the runbook: no matching entry.",
    "Thanks for the details, we are looking into it and will update you within the hour.",
]
ESCALATION_NOTE = {
    "summary": "Customer-facing failure that the runbooks do not cover",
    "symptoms": ["Errors on about 30% of attempts"],
    "customer_impact": "Users cannot work reliably",
    "steps_taken": ["Checked the configuration", "Reproduced on a test account"],
    "escalation_reason": "Needs the next tier's access and expertise",
}

Step = tuple[str, Any]


class VolumeConfigMissing(Exception):
    """No active tier or a missing severity: the escalation config has to be imported first."""


# --- writing rows ----------------------------------------------------------------------------------------------


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(highest=Max("pk"))["highest"] or 0) + 1


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After inserting explicit ids, PostgreSQL's sequences must continue after them (SQLite needs nothing)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(sql)


# --- the helpers: accounts and people, created once --------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """Everything a seeded ticket points at, read once."""

    ladder: list[Tier]
    severities: dict[str, Severity]
    accounts: list[int]
    account_weights: list[float]
    agents: dict[int, list]  # tier pk → the tier's agents
    manager: Any
    criteria: dict[int, list[int]]  # tier pk → active criterion ids


def ensure_cast(rng: random.Random) -> Cast:
    with_calendar = ("calendar", "calendar__holidays")  # the transitions read each calendar's hours once
    tiers = Tier.objects.filter(is_active=True).select_related("team").prefetch_related(*with_calendar)
    ladder = list(tiers.order_by("level"))
    severities = {s.code: s for s in Severity.objects.select_related("route_to").prefetch_related(*with_calendar)}
    if not ladder or set(SEVERITY_MIX) - set(severities):
        raise VolumeConfigMissing("No escalation config: run `manage.py import_escalation_config` first.")
    accounts = _ensure_accounts(rng)
    return Cast(
        ladder=ladder,
        severities=severities,
        accounts=accounts,
        account_weights=[1 / (rank + 1) ** 0.8 for rank in range(len(accounts))],
        agents={tier.pk: _ensure_agents(tier) for tier in ladder},
        manager=_ensure_person(MANAGER_NAME, Group.objects.get(name=roles.MANAGERS)),
        criteria={t.pk: list(t.criteria.filter(is_active=True).values_list("pk", flat=True)) for t in ladder},
    )


def _ensure_accounts(rng: random.Random) -> list[int]:
    names = [ACCOUNT_NAME.format(index) for index in range(1, ACCOUNT_COUNT + 1)]
    existing = set(Account.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [
        Account(
            name=name,
            tier=_pick(rng, ACCOUNT_TIER_MIX),
            arr=rng.randrange(2_000, 400_000, 500),
            health_score=rng.randint(40, 100),
            primary_contact=f"ops@volume-{name[-4:]}.example",
        )
        for name in names
        if name not in existing
    ]
    bulk_create_with_history(missing, Account, batch_size=BATCH_SIZE, default_change_reason="Volume seed")
    return list(Account.objects.filter(name__in=names).order_by("name").values_list("pk", flat=True))


def _ensure_agents(tier: Tier) -> list:
    agents = Group.objects.get(name=roles.AGENTS)
    count = AGENTS_PER_LEVEL.get(tier.level, DEFAULT_AGENTS)
    return [
        _ensure_person(AGENT_NAME.format(level=tier.level, index=index), agents, tier.team)
        for index in range(1, count + 1)
    ]


def _ensure_person(username: str, *groups: Group) -> Any:
    """A named helper who cannot sign in with a password (benchmarks sign in with force_login)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@volume.example"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(*groups)
    return user


# --- one ticket's life -------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _expo(rng: random.Random, mean: timedelta) -> timedelta:
    return timedelta(seconds=rng.expovariate(1 / max(mean.total_seconds(), 1)))


@dataclass
class Batch:
    """A batch of tickets with their audited changes and the rows that point at them, written together."""

    tickets: list[Ticket] = field(default_factory=list)
    changes: list[TicketChange] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    escalation_notes: list[EscalationNote] = field(default_factory=list)
    criteria: list = field(default_factory=list)
    transfers: list[OwnershipTransfer] = field(default_factory=list)
    notes: list[TicketNote] = field(default_factory=list)


@dataclass
class Ids:
    ticket: int
    escalation: int


class TicketStory:
    """Walks one ticket through its steps with its own transitions, each at its moment, recording every change."""

    def __init__(self, cast: Cast, rng: random.Random, batch: Batch, ids: Ids, ticket: Ticket, clock):
        self.cast, self.rng, self.batch, self.ids, self.ticket, self.clock = cast, rng, batch, ids, ticket, clock
        ticket.ladder_lowest, ticket.ladder_highest = cast.ladder[0].level, cast.ladder[-1].level
        self.events = 0

    @property
    def tier(self) -> Tier:
        return self.ticket.tier

    def agent(self, tier: Tier | None = None, other_than: int | None = None):
        return self.rng.choice([p for p in self.cast.agents[(tier or self.tier).pk] if p.pk != other_than])

    def owner(self):
        owner_id = self.ticket.primary_owner_id
        return next((p for p in self.cast.agents[self.tier.pk] if p.pk == owner_id), None) or self.agent()

    def record(self, at: datetime, reason: str, by, *, created: bool = False) -> None:
        change = TicketChange(copy.copy(self.ticket), by, reason, events=[], created=created, at=at)
        self.batch.changes.append(change)
        self.events += 1

    def apply(self, step: Step, at: datetime) -> None:
        self.clock.move_to(at)
        getattr(self, f"do_{step[0]}")(at, step[1])

    def finish(self, now: datetime) -> None:
        """The breaches the SLA clock would have recorded by now."""
        ticket = self.ticket
        if (ticket.first_responded_at or now) > ticket.first_response_due:
            ticket.first_response_breached_at = ticket.first_response_due
        if ticket.paused_at is None and (ticket.resolved_at or now) > ticket.resolution_due:
            ticket.breached_at = ticket.resolution_due

    def do_assign(self, at: datetime, _) -> None:
        owner = self.agent()
        self.ticket.assign(owner)
        self.record(at, f"Assigned to {owner.username}", self.cast.manager if self.rng.random() < 0.3 else owner)

    def do_ack(self, at: datetime, _) -> None:
        owner = self.owner()
        self.ticket.acknowledge(owner)
        self.record(at, "Acknowledged", owner)

    def do_wait(self, at: datetime, _) -> None:
        self.ticket.wait_on_customer()
        self.record(at, "Asked the customer for logs and the time of the failure", self.owner())

    def do_resume(self, at: datetime, _) -> None:
        self.ticket.resume()
        self.record(at, "Customer replied; work resumed", self.owner())

    def do_resolve(self, at: datetime, _) -> None:
        self.ticket.resolve()
        self.record(at, "Resolved: fix confirmed with the customer", self.owner())

    def do_close(self, at: datetime, _) -> None:
        self.ticket.close()
        self.record(at, "Closed", self.owner() if self.rng.random() < 0.5 else None)

    def do_escalate(self, at: datetime, move: tuple[Tier, str]) -> None:
        to_tier, kind = move
        from_tier, label = self.tier, Escalation.Kind(kind).label
        by = None if kind in (Escalation.Kind.SLA, Escalation.Kind.FAILOVER) else self.owner()  # None: the SLA clock
        if kind == Escalation.Kind.OVERRIDE:
            by = self.cast.manager
        owner = self.agent(to_tier) if kind == Escalation.Kind.MANUAL and self.rng.random() < 0.5 else None
        rationale = f"Outside what {from_tier.label} can do"
        escalation = self._moved(at, to_tier, kind, by, owner, rationale)
        self.ticket.escalate(to_tier, owner)
        if kind == Escalation.Kind.MANUAL:
            self.batch.escalation_notes.append(EscalationNote(escalation=escalation, **ESCALATION_NOTE))
            self.batch.criteria += [
                Escalation.criteria.through(escalation=escalation, escalationcriterion_id=criterion)
                for criterion in self.cast.criteria[from_tier.pk][:1]
            ]
        self.record(at, f"Escalated to {to_tier.label} ({label}): {rationale}", by)

    def do_deescalate(self, at: datetime, to_tier: Tier) -> None:
        by, reason = self.owner(), self.rng.choice(DEESCALATION_REASONS)
        self._moved(at, to_tier, Escalation.Kind.DEESCALATION, by, None, f"{reason}. Monitor for a week")
        self.ticket.deescalate(to_tier)
        self.record(at, f"De-escalated to {to_tier.label}: {reason}", by)

    def _moved(self, at: datetime, to_tier: Tier, kind: str, by, owner, rationale: str) -> Escalation:
        """The escalation row of a move from the ticket's tier, with its id allocated here (its note points at it)."""
        pk, self.ids.escalation = self.ids.escalation, self.ids.escalation + 1
        escalation = Escalation(
            id=pk,
            ticket=self.ticket,
            from_tier=self.tier,
            to_tier=to_tier,
            kind=kind,
            rationale=rationale,
            new_owner=owner,
            by=by,
            created_at=at,
        )
        self.batch.escalations.append(escalation)
        self.events += 1
        return escalation

    def do_transfer(self, at: datetime, role: str) -> None:
        """The primary owner through the transition; a backup or escalation owner is set as ticket_transfer does."""
        by, ticket = self.owner(), self.ticket
        if role == OwnershipTransfer.Role.PRIMARY:
            to_owner, from_id = self.agent(other_than=ticket.primary_owner_id), ticket.primary_owner_id
            ticket.transfer(to_owner)
        elif role == OwnershipTransfer.Role.BACKUP:
            to_owner, from_id = self.agent(other_than=ticket.primary_owner_id), ticket.backup_owner_id
            ticket.backup_owner = to_owner
        else:
            to_owner, from_id = self.cast.manager, ticket.escalation_owner_id
            ticket.escalation_owner = to_owner
        reason = "Covering while the owner is on leave"
        self.batch.transfers.append(
            OwnershipTransfer(
                ticket=ticket,
                role=role,
                from_owner_id=from_id,
                to_owner=to_owner,
                reason=reason,
                expected_response=timedelta(hours=self.rng.choice([1, 2, 4])),
                by=by,
                created_at=at,
            )
        )
        self.events += 1
        self.record(at, f"{OwnershipTransfer.Role(role).label} → {to_owner.username}: {reason}", by)

    def add_note(self, at: datetime) -> None:
        public = self.rng.random() < 0.4
        self.batch.notes.append(
            TicketNote(
                ticket=self.ticket,
                visibility=TicketNote.Visibility.PUBLIC if public else TicketNote.Visibility.INTERNAL,
                body=self.rng.choice(NOTE_BODIES),
                author=self.owner(),
                created_at=at,
            )
        )
        self.events += 1


# --- planning: which steps, and when -----------------------------------------------------------------------------


def _moves(rng: random.Random, ladder: list[Tier], start: int) -> list[Step]:
    """About a quarter of tickets climb a tier, some a second one; some come back down once the hard part is done."""
    moves, level, top = [], start, len(ladder) - 1
    while level < top and rng.random() < (P_ESCALATE_AGAIN if moves else P_ESCALATE):
        level += 1
        moves.append(("escalate", (ladder[level], _pick(rng, UPWARD_KINDS))))
    chance = P_DEESCALATE if moves else P_TOP_DEESCALATE if level == top else 0
    if level > 0 and rng.random() < chance:
        moves.append(("deescalate", ladder[level - 1]))
    return moves


def _working_steps(rng: random.Random, ladder: list[Tier], start: int) -> list[Step]:
    steps: list[Step] = [("assign", None), ("ack", None)]
    if rng.random() < P_WAIT:
        steps += [("wait", None), ("resume", None)]
    for move in _moves(rng, ladder, start):
        steps += [move, ("ack", None)]
    if rng.random() < P_TRANSFER:
        role = _pick(rng, TRANSFER_ROLES)
        at = rng.choice([i for i, (name, _) in enumerate(steps) if name in ("ack", "resume")]) + 1
        primary = role == OwnershipTransfer.Role.PRIMARY
        steps[at:at] = [("transfer", role), ("ack", None)] if primary else [("transfer", role)]
    return steps


def _ends_assigned(step: Step) -> bool:
    return step[0] in ("assign", "escalate", "deescalate") or step == ("transfer", OwnershipTransfer.Role.PRIMARY)


def _cut_open(rng: random.Random, steps: list[Step], status: str) -> list[Step]:
    """The first steps of the story, ending where the ticket is in `status` (open)."""
    if status == Ticket.Status.NEW:
        return []
    if status == Ticket.Status.WAITING_ON_CUSTOMER:
        return [*_cut_open(rng, steps, Ticket.Status.IN_PROGRESS), ("wait", None)]
    if status == Ticket.Status.ASSIGNED:
        ends = [i for i, step in enumerate(steps) if _ends_assigned(step)]
    else:
        ends = [i for i, (name, _) in enumerate(steps) if name in ("ack", "resume")]
    return steps[: rng.choice(ends) + 1]


def _delay(rng: random.Random, name: str, tier: Tier) -> timedelta:
    if name == "assign":
        return _expo(rng, tier.first_response_sla * 0.1)
    if name == "ack":
        return _expo(rng, tier.first_response_sla * 0.4)
    if name == "close":
        return timedelta(hours=rng.uniform(24, 96))
    share = {"wait": 0.15, "resume": 0.5, "transfer": 0.1, "resolve": 0.4}.get(name, 0.25)
    return _expo(rng, tier.resolution_target * share)


def _timed(rng: random.Random, steps: list[Step], start: Tier, room: timedelta) -> list[timedelta]:
    """Offsets from creation for each step, squeezed proportionally when the ticket is younger than its story."""
    offsets, total, tier = [], timedelta(0), start
    for name, arg in steps:
        total += _delay(rng, name, tier)
        offsets.append(total)
        if name in ("escalate", "deescalate"):
            tier = arg[0] if name == "escalate" else arg
    if offsets and offsets[-1] > room:
        offsets = [offset * (room / offsets[-1]) for offset in offsets]
    return offsets


def plan_steps(rng: random.Random, ladder: list[Tier], start: int, age: timedelta) -> tuple[list[Step], list]:
    """The steps of one ticket and their offsets from creation: done and closed when old, being worked when recent."""
    steps = _working_steps(rng, ladder, start)
    if rng.random() < next((share for limit, share in OPEN_BY_AGE if age < limit), OPEN_OLDER):
        mix = OPEN_MIX if age < timedelta(hours=2) else OPEN_MIX | {"new": 1}
        steps = _cut_open(rng, steps, _pick(rng, mix))
        return steps, _timed(rng, steps, ladder[start], age * rng.uniform(0.3, 0.97))
    steps.append(("resolve", None))
    offsets = _timed(rng, steps, ladder[start], age * 0.97)
    close_at = offsets[-1] + _delay(rng, "close", ladder[start])
    if close_at < age:
        steps.append(("close", None))
        offsets.append(close_at)
    return steps, offsets


# --- tickets -----------------------------------------------------------------------------------------------------


def _opened(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, clock, opening: tuple) -> TicketStory:
    """A new ticket's story, with its `+` history row."""
    number, created_at, severity, tier = opening
    category = _pick(rng, CATEGORY_MIX)
    account = rng.choices(cast.accounts, weights=cast.account_weights)[0]
    title = rng.choice(TITLES[category])
    requester = f"user{rng.randint(1, 40)}@account{account}.volume.example"
    ticket = Ticket(
        id=ids.ticket,
        number=number,
        title=title,
        description=f"{requester} reported: {title.lower()}.",
        category=category,
        requester=requester,
        created_at=created_at,
        account_id=account,
        severity=severity,
        tier=tier,
        created_by=rng.choice(cast.agents[cast.ladder[0].pk]),
    )
    ids.ticket += 1
    ticket.compute_deadlines()
    batch.tickets.append(ticket)
    story = TicketStory(cast, rng, batch, ids, ticket, clock)
    story.record(created_at, f"Opened at {tier.label} ({severity.code})", story.agent(cast.ladder[0]), created=True)
    return story


def add_ticket(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, number: int, created_at, now) -> None:
    """One ticket with its whole life, as the services would have recorded it."""
    severity = cast.severities[_pick(rng, SEVERITY_MIX)]
    routed = severity.route_to_id if severity.route_to and severity.route_to.is_active else None
    start = next((i for i, tier in enumerate(cast.ladder) if tier.pk == routed), 0)
    steps, offsets = plan_steps(rng, cast.ladder, start, now - created_at - timedelta(minutes=1))
    with time_machine.travel(created_at, tick=False) as clock:
        story = _opened(cast, rng, batch, ids, clock, (number, created_at, severity, cast.ladder[start]))
        for step, offset in zip(steps, offsets, strict=True):
            story.apply(step, created_at + offset)
    first_ack = next((offset for (name, _), offset in zip(steps, offsets, strict=True) if name == "ack"), None)
    if first_ack is not None:
        last = now - created_at if story.ticket.is_open else offsets[-1]
        for _ in range(_pick(rng, NOTE_COUNTS)):
            story.add_note(created_at + first_ack + (last - first_ack) * rng.random())
    story.finish(now)


EVENTS_PLAN = [
    ("assign", None), ("ack", None), ("wait", None), ("resume", None), ("escalate", 1), ("ack", None),
    ("wait", None), ("resume", None), ("escalate", 2), ("ack", None), ("deescalate", 1), ("ack", None),
    ("transfer", "primary"), ("ack", None), ("transfer", "backup"), ("wait", None), ("resume", None),
]  # fmt: skip
TWO_EVENT_STEPS = {"escalate", "deescalate", "transfer"}  # a history row and an escalation or transfer row


def add_events_ticket(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, number: int, events: int, now) -> None:
    """An open P3 ticket with exactly `events` timeline entries: history, escalations, transfers, then notes."""
    created_at = now - timedelta(hours=20)
    with time_machine.travel(created_at, tick=False) as clock:
        story = _opened(cast, rng, batch, ids, clock, (number, created_at, cast.severities["P3"], cast.ladder[0]))
        story.ticket.title = batch.changes[-1].state.title = EVENTS_TITLE.format(events=events)
        for minute, (name, level_index) in enumerate(EVENTS_PLAN, start=1):
            if name in ("escalate", "deescalate") and len(cast.ladder) < 3:
                continue
            if story.events + (2 if name in TWO_EVENT_STEPS else 1) > events:
                break
            story.apply((name, _events_arg(cast, name, level_index)), created_at + timedelta(minutes=20 * minute))
    while story.events < events:
        story.add_note(created_at + timedelta(hours=10, minutes=story.events))
    story.finish(now)


def _events_arg(cast: Cast, name: str, arg: Any) -> Any:
    if name == "escalate":
        return cast.ladder[arg], Escalation.Kind.MANUAL
    return cast.ladder[arg] if name == "deescalate" else arg


# --- the whole run -----------------------------------------------------------------------------------------------


@dataclass
class VolumeSummary:
    tickets: int = 0
    history: int = 0
    escalations: int = 0
    transfers: int = 0
    notes: int = 0
    first_number: int = 0
    last_number: int = 0
    events_ticket: str = ""
    seconds: float = 0.0


def creation_times(rng: random.Random, count: int, days: float, now: datetime) -> list[datetime]:
    """Spread over the window, busier on weekdays and in working hours (UTC), oldest first."""
    window, times = days * 86_400, []
    while len(times) < count:
        at = now - timedelta(seconds=rng.random() * window)
        if rng.random() < (1.0 if at.weekday() < 5 else 0.35) * (1.0 if 7 <= at.hour < 19 else 0.4):
            times.append(at)
    return sorted(times)


def _save(batch: Batch, summary: VolumeSummary) -> None:
    """The tickets and their history through the ticket write path, then what points at them (foreign-key order)."""
    tickets_write(batch.tickets, batch.changes)
    insert_rows(batch.escalations, with_pk=True)
    for rows in (batch.escalation_notes, batch.criteria, batch.transfers, batch.notes):
        insert_rows(rows)
    summary.tickets += len(batch.tickets)
    summary.history += len(batch.changes)
    summary.escalations += len(batch.escalations)
    summary.transfers += len(batch.transfers)
    summary.notes += len(batch.notes)


def seed_volume(
    *,
    tickets: int,
    days: float = 90,
    seed: int = 42,
    events: int = 50,
    analyze: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> VolumeSummary:
    """Add `tickets` tickets over the last `days` days; the last one has exactly `events` timeline entries (if > 0)."""
    started, rng, now, summary = time.monotonic(), random.Random(seed), timezone.now(), VolumeSummary()
    with transaction.atomic():
        cast = ensure_cast(rng)
        first = (Ticket.objects.aggregate(highest=Max("number"))["highest"] or FIRST_TICKET_NUMBER - 1) + 1
        ids = Ids(ticket=next_id(Ticket), escalation=next_id(Escalation))
        times = creation_times(rng, tickets - (1 if events else 0), days, now)
        for start in range(0, max(len(times), 1), BATCH_SIZE):
            batch = Batch()
            for offset, created_at in enumerate(times[start : start + BATCH_SIZE]):
                add_ticket(cast, rng, batch, ids, first + start + offset, created_at, now)
            if events and start + BATCH_SIZE >= len(times):
                add_events_ticket(cast, rng, batch, ids, first + len(times), events, now)
            _save(batch, summary)
            progress(f"{summary.tickets:>7} tickets · {time.monotonic() - started:6.1f} s")
        reset_sequences(Ticket, Escalation)
    if analyze:
        refresh_planner_statistics()
    summary.first_number, summary.last_number = first, first + summary.tickets - 1
    summary.events_ticket = f"{Ticket.REFERENCE_PREFIX}{summary.last_number}" if events else ""
    summary.seconds = time.monotonic() - started
    return summary


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, as PostgreSQL's autovacuum soon would. SQLite never does it by itself, and without
    statistics it prefers ticket_status_tier plus a sort over reading ticket_open_next_due in order."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def events_ticket() -> Ticket | None:
    """The latest ticket seeded with a fixed number of timeline events, for the detail page benchmark."""
    return Ticket.objects.filter(title__startswith=EVENTS_TITLE_PREFIX).order_by("-number").first()
