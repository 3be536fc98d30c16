"""A realistic ticket volume, inserted in bulk: for benchmarks and for the KPI and SLA work that needs months of data.

Tickets are spread over the last N days with the desk's real shape: the severity mix, the severity routing, owners
of the right tier, escalations up and down the ladder, ownership transfers, notes, and a history row (`+` when
opened, `~` for every change, with the actor and the reason) so the timeline and the reports read them like any
other ticket. Each step changes the fields as its FSM transition would (pauses while waiting on the customer
included), and deadlines come from Ticket.compute_deadlines itself; but no transition or service runs, so nothing
is notified and nothing is queued. The breach columns are set as the SLA clock would have set them by now.

Speed: 100,000 tickets are about 26 million column values. bulk_create prepares each one through its field
(about 8 µs on SQLite: over three minutes), so rows are plain dicts that `BulkTable` writes with one `executemany`
per table and batch; ticket and escalation ids are allocated here, and the sequences reset afterwards.

The helpers it needs (accounts "Volume account 0001"…, agents "volume.l1.01"…, "volume.manager") are looked up by
name and created only when missing, so running it again adds tickets, never a second set of people.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from escalations import roles
from escalations.business_time import WorkingTime, business_time_between
from escalations.deadlines import working_time_for
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


class Person(NamedTuple):
    """A seeded helper as the rows need them: plain values are much cheaper to read a million times than models."""

    pk: int
    username: str


class VolumeConfigMissing(Exception):
    """No active tier or a missing severity: the escalation config has to be imported first."""


# --- writing rows fast -------------------------------------------------------------------------------------------


class SqliteDatetimes:
    """Aware datetimes as SQLite stores them (naive, in the connection's zone), each computed once per batch:
    a ticket's created_at and deadlines repeat in every one of its history rows."""

    def __init__(self) -> None:
        self.zone, self.texts = connection.timezone, {}

    def __call__(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        text = self.texts.get(value)
        if text is None:
            text = self.texts[value] = str(value.astimezone(self.zone).replace(tzinfo=None))
        return text

    def clear(self) -> None:
        self.texts.clear()


def _converter(model_field: models.Field) -> Callable[[Any], Any] | None:
    """What bulk_create would send for a value of this field; None where that is the value itself."""
    kind = model_field.get_internal_type()
    if kind in ("DateTimeField", "DurationField") and connection.vendor == "postgresql":
        return None
    if kind == "DateTimeField" and connection.vendor == "sqlite":
        return SqliteDatetimes()
    if model_field.is_relation or kind in PLAIN_TYPES:
        return None
    return lambda value: model_field.get_db_prep_save(value, connection)


PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


class BulkTable:
    """Writes plain dict rows (keyed by attname) into one model's table: executemany on SQLite, COPY on PostgreSQL.

    A missing key takes the field's default (as bulk_create would), so columns added later need no change here.
    """

    def __init__(self, model: type[models.Model], *, with_pk: bool = False):
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.values_of = itemgetter(*[f.attname for f in fields])
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.converters = [(i, convert) for i, f in enumerate(fields) if (convert := _converter(f))]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"

    def insert(self, rows: list[dict]) -> None:
        if not rows:
            return
        values = []
        for row in rows:
            value = list(self.values_of(self.defaults | row))
            for index, convert in self.converters:
                value[index] = convert(value[index])
            values.append(value)
        for _, convert in self.converters:
            if isinstance(convert, SqliteDatetimes):
                convert.clear()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # COPY: one stream instead of a statement per row
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                cursor.executemany(self.sql, values)


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
    agents: dict[int, list[Person]]  # tier pk → the tier's agents
    manager: Person
    criteria: dict[int, list[int]]  # tier pk → active criterion ids
    working: dict[tuple[int, int], WorkingTime]  # (tier pk, severity pk) → the hours its SLA clocks count


def ensure_cast(rng: random.Random) -> Cast:
    ladder = list(Tier.objects.filter(is_active=True).select_related("team").order_by("level"))
    severities = {severity.code: severity for severity in Severity.objects.select_related("route_to")}
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
        working={
            (t.pk, s.pk): working_time_for(Ticket(tier=t, severity=s)) for t in ladder for s in severities.values()
        },
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


def _ensure_agents(tier: Tier) -> list[Person]:
    agents = Group.objects.get(name=roles.AGENTS)
    count = AGENTS_PER_LEVEL.get(tier.level, DEFAULT_AGENTS)
    return [
        _ensure_person(AGENT_NAME.format(level=tier.level, index=index), agents, tier.team)
        for index in range(1, count + 1)
    ]


def _ensure_person(username: str, *groups: Group) -> Person:
    """A named helper who cannot sign in with a password (benchmarks sign in with force_login)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@volume.example"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(*groups)
    return Person(user.pk, user.username)


TICKET_FIELDS = {f.attname for f in Ticket._meta.concrete_fields}
DEADLINE_FIELDS = [name for name in TICKET_FIELDS if name.endswith("_due")]


def computed_deadlines(state: dict, tier: Tier, severity: Severity) -> dict[str, datetime | None]:
    """The deadline columns exactly as Ticket.compute_deadlines sets them, on a probe built from the ticket's state.

    Calling the model keeps the seed right whatever the rule (business hours, pauses, escalation points) becomes.
    """
    fields = {name: value for name, value in state.items() if name in TICKET_FIELDS}
    probe = Ticket(**(fields | {"tier_id": tier.pk, "severity_id": severity.pk}))
    probe.tier, probe.severity = tier, severity
    probe.compute_deadlines()
    return {name: getattr(probe, name) for name in DEADLINE_FIELDS}


# --- one ticket's life -------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _expo(rng: random.Random, mean: timedelta) -> timedelta:
    return timedelta(seconds=rng.expovariate(1 / max(mean.total_seconds(), 1)))


@dataclass
class Batch:
    """The rows of a batch of tickets, one list per table."""

    tickets: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    escalations: list[dict] = field(default_factory=list)
    escalation_notes: list[dict] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


@dataclass
class Ids:
    ticket: int
    escalation: int


class TicketStory:
    """Walks one ticket through its steps, changing its fields as the transitions do and recording every row."""

    def __init__(self, cast: Cast, rng: random.Random, batch: Batch, ids: Ids, state: dict):
        self.cast, self.rng, self.batch, self.ids, self.state = cast, rng, batch, ids, state
        self.tier = next(tier for tier in cast.ladder if tier.pk == state["tier_id"])
        self.severity = next(s for s in cast.severities.values() if s.pk == state["severity_id"])
        self.events = 0

    def agent(self, tier: Tier | None = None, other_than: int | None = None) -> Person:
        return self.rng.choice([p for p in self.cast.agents[(tier or self.tier).pk] if p.pk != other_than])

    def owner(self) -> Person:
        owner_id = self.state["primary_owner_id"]
        return next((p for p in self.cast.agents[self.tier.pk] if p.pk == owner_id), None) or self.agent()

    def record(self, at: datetime, reason: str, by: Person | None, kind: str = "~") -> None:
        row = dict(self.state, history_date=at, history_change_reason=reason, history_type=kind)
        row["history_user_id"] = by.pk if by else None
        self.state["updated_at"] = at
        self.batch.history.append(row)
        self.events += 1

    def apply(self, step: Step, at: datetime) -> None:
        getattr(self, f"do_{step[0]}")(at, step[1])

    def compute_deadlines(self) -> None:
        self.state.update(computed_deadlines(self.state, self.tier, self.severity))

    def _end_pause(self, at: datetime) -> None:
        """Waiting on the customer is over: its working time moves the resolution and escalation deadlines."""
        if self.state["paused_at"] is not None:
            working = self.cast.working[(self.tier.pk, self.severity.pk)]
            self.state["paused_for"] += business_time_between(self.state["paused_at"], at, working)
            self.state["paused_at"] = None
            self.compute_deadlines()

    def finish(self, now: datetime) -> None:
        """The breaches the SLA clock would have recorded by now."""
        state = self.state
        if (state["first_responded_at"] or now) > state["first_response_due"]:
            state["first_response_breached_at"] = state["first_response_due"]
        if state["paused_at"] is None and (state["resolved_at"] or now) > state["resolution_due"]:
            state["breached_at"] = state["resolution_due"]

    def _start_assignment(self, at: datetime, owner) -> None:
        timeout = self.severity.acknowledgement_timeout or self.tier.acknowledgement_timeout
        self.state.update(
            status=Ticket.Status.ASSIGNED,
            primary_owner_id=owner.pk if owner else None,
            assigned_at=at,
            acknowledged_at=None,
            acknowledgement_due=at + timeout,
        )

    def do_assign(self, at: datetime, _) -> None:
        owner = self.agent()
        self._start_assignment(at, owner)
        self.record(at, f"Assigned to {owner.username}", self.cast.manager if self.rng.random() < 0.3 else owner)

    def do_ack(self, at: datetime, _) -> None:
        owner = self.owner()
        self.state.update(
            status=Ticket.Status.IN_PROGRESS, primary_owner_id=owner.pk, acknowledged_at=at, acknowledgement_due=None
        )
        self.state["first_responded_at"] = self.state["first_responded_at"] or at
        self.record(at, "Acknowledged", owner)

    def do_wait(self, at: datetime, _) -> None:
        self.state["status"] = Ticket.Status.WAITING_ON_CUSTOMER
        if self.tier.pause_on_waiting:
            self.state["paused_at"] = at
        self.record(at, "Asked the customer for logs and the time of the failure", self.owner())

    def do_resume(self, at: datetime, _) -> None:
        self._end_pause(at)
        self.state["status"] = Ticket.Status.IN_PROGRESS
        self.record(at, "Customer replied; work resumed", self.owner())

    def do_resolve(self, at: datetime, _) -> None:
        self._end_pause(at)
        self.state.update(status=Ticket.Status.RESOLVED, resolved_at=at)
        self.record(at, "Resolved: fix confirmed with the customer", self.owner())

    def do_close(self, at: datetime, _) -> None:
        self.state.update(status=Ticket.Status.CLOSED, closed_at=at)
        self.record(at, "Closed", self.owner() if self.rng.random() < 0.5 else None)

    def do_escalate(self, at: datetime, move: tuple[Tier, str]) -> None:
        to_tier, kind = move
        from_tier, label = self.tier, Escalation.Kind(kind).label
        by = None if kind in (Escalation.Kind.SLA, Escalation.Kind.FAILOVER) else self.owner()  # None: the SLA clock
        if kind == Escalation.Kind.OVERRIDE:
            by = self.cast.manager
        owner = self.agent(to_tier) if kind == Escalation.Kind.MANUAL and self.rng.random() < 0.5 else None
        rationale = f"Outside what {from_tier.label} can do"
        pk = self._move(at, to_tier, kind, by, owner, rationale)
        if kind == Escalation.Kind.MANUAL:
            self.batch.escalation_notes.append(dict(ESCALATION_NOTE, escalation_id=pk))
            self.batch.criteria += [
                {"escalation_id": pk, "escalationcriterion_id": criterion}
                for criterion in self.cast.criteria[from_tier.pk][:1]
            ]
        self.record(at, f"Escalated to {to_tier.label} ({label}): {rationale}", by)

    def do_deescalate(self, at: datetime, to_tier: Tier) -> None:
        by, reason = self.owner(), self.rng.choice(DEESCALATION_REASONS)
        self._move(at, to_tier, Escalation.Kind.DEESCALATION, by, None, f"{reason}. Monitor for a week")
        self.record(at, f"De-escalated to {to_tier.label}: {reason}", by)

    def _move(self, at: datetime, to_tier: Tier, kind: str, by, owner, rationale: str) -> int:
        """Record the escalation row and move the ticket like Ticket._move_to_tier; returns the escalation's id."""
        pk, self.ids.escalation = self.ids.escalation, self.ids.escalation + 1
        self.batch.escalations.append(
            {
                "id": pk,
                "ticket_id": self.state["id"],
                "from_tier_id": self.tier.pk,
                "to_tier_id": to_tier.pk,
                "kind": kind,
                "rationale": rationale,
                "new_owner_id": owner.pk if owner else None,
                "by_id": by.pk if by else None,
                "created_at": at,
            }
        )
        self.events += 1
        self._end_pause(at)
        self.tier = to_tier
        self.state.update(tier_id=to_tier.pk, backup_owner_id=None)
        self._start_assignment(at, owner)
        self.compute_deadlines()
        return pk

    def do_transfer(self, at: datetime, role: str) -> None:
        by, state = self.owner(), self.state
        if role == OwnershipTransfer.Role.PRIMARY:
            to_owner, from_id = self.agent(other_than=state["primary_owner_id"]), state["primary_owner_id"]
            if state["backup_owner_id"] == to_owner.pk:
                state["backup_owner_id"] = None
            self._end_pause(at)
            self._start_assignment(at, to_owner)
        elif role == OwnershipTransfer.Role.BACKUP:
            to_owner, from_id = self.agent(other_than=state["primary_owner_id"]), state["backup_owner_id"]
            state["backup_owner_id"] = to_owner.pk
        else:
            to_owner, from_id = self.cast.manager, state["escalation_owner_id"]
            state["escalation_owner_id"] = to_owner.pk
        reason = "Covering while the owner is on leave"
        self.batch.transfers.append(
            {
                "ticket_id": state["id"],
                "role": role,
                "from_owner_id": from_id,
                "to_owner_id": to_owner.pk,
                "reason": reason,
                "expected_response": timedelta(hours=self.rng.choice([1, 2, 4])),
                "by_id": by.pk,
                "created_at": at,
            }
        )
        self.events += 1
        self.record(at, f"{OwnershipTransfer.Role(role).label} → {to_owner.username}: {reason}", by)

    def add_note(self, at: datetime) -> None:
        public = self.rng.random() < 0.4
        self.batch.notes.append(
            {
                "ticket_id": self.state["id"],
                "visibility": TicketNote.Visibility.PUBLIC if public else TicketNote.Visibility.INTERNAL,
                "body": self.rng.choice(NOTE_BODIES),
                "author_id": self.owner().pk,
                "created_at": at,
            }
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
        return _cut_open(rng, steps, Ticket.Status.IN_PROGRESS) + [("wait", None)]
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


def _opened(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, number: int, created_at, severity, tier):
    """A new ticket's story, with its `+` history row."""
    category = _pick(rng, CATEGORY_MIX)
    account = rng.choices(cast.accounts, weights=cast.account_weights)[0]
    title = rng.choice(TITLES[category])
    requester = f"user{rng.randint(1, 40)}@account{account}.volume.example"
    state = {f.attname: f.get_default() for f in Ticket._meta.concrete_fields} | {
        "id": ids.ticket,
        "number": number,
        "title": title,
        "description": f"{requester} reported: {title.lower()}.",
        "category": category,
        "requester": requester,
        "created_at": created_at,
        "updated_at": created_at,
        "status": Ticket.Status.NEW,
        "account_id": account,
        "severity_id": severity.pk,
        "tier_id": tier.pk,
        "created_by_id": rng.choice(cast.agents[cast.ladder[0].pk]).pk,
    }
    ids.ticket += 1
    story = TicketStory(cast, rng, batch, ids, state)
    story.compute_deadlines()
    story.record(created_at, f"Opened at {tier.label} ({severity.code})", story.agent(cast.ladder[0]), "+")
    return story


def add_ticket(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, number: int, created_at, now) -> None:
    """One ticket with its whole life, as the services would have recorded it."""
    severity = cast.severities[_pick(rng, SEVERITY_MIX)]
    routed = severity.route_to_id if severity.route_to and severity.route_to.is_active else None
    start = next((i for i, tier in enumerate(cast.ladder) if tier.pk == routed), 0)
    story = _opened(cast, rng, batch, ids, number, created_at, severity, cast.ladder[start])
    steps, offsets = plan_steps(rng, cast.ladder, start, now - created_at - timedelta(minutes=1))
    for step, offset in zip(steps, offsets, strict=True):
        story.apply(step, created_at + offset)
    first_ack = next((offset for (name, _), offset in zip(steps, offsets) if name == "ack"), None)
    if first_ack is not None:
        last = offsets[-1] if story.state["status"] not in Ticket.OPEN_STATUSES else now - created_at
        for _ in range(_pick(rng, NOTE_COUNTS)):
            story.add_note(created_at + first_ack + (last - first_ack) * rng.random())
    story.finish(now)
    batch.tickets.append(story.state)


EVENTS_PLAN = [
    ("assign", None), ("ack", None), ("wait", None), ("resume", None), ("escalate", 1), ("ack", None),
    ("wait", None), ("resume", None), ("escalate", 2), ("ack", None), ("deescalate", 1), ("ack", None),
    ("transfer", "primary"), ("ack", None), ("transfer", "backup"), ("wait", None), ("resume", None),
]  # fmt: skip
TWO_EVENT_STEPS = {"escalate", "deescalate", "transfer"}  # a history row and an escalation or transfer row


def add_events_ticket(cast: Cast, rng: random.Random, batch: Batch, ids: Ids, number: int, events: int, now) -> None:
    """An open P3 ticket with exactly `events` timeline entries: history, escalations, transfers, then notes."""
    created_at = now - timedelta(hours=20)
    story = _opened(cast, rng, batch, ids, number, created_at, cast.severities["P3"], cast.ladder[0])
    story.state["title"] = EVENTS_TITLE.format(events=events)
    batch.history[-1]["title"] = story.state["title"]
    for minute, (name, level_index) in enumerate(EVENTS_PLAN, start=1):
        if name in ("escalate", "deescalate") and len(cast.ladder) < 3:
            continue
        if story.events + (2 if name in TWO_EVENT_STEPS else 1) > events:
            break
        story.apply((name, _events_arg(cast, name, level_index)), created_at + timedelta(minutes=20 * minute))
    while story.events < events:
        story.add_note(created_at + timedelta(hours=10, minutes=story.events))
    story.finish(now)
    batch.tickets.append(story.state)


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


def _tables() -> list[tuple[str, BulkTable]]:
    """In foreign-key order: tickets, then what points at them."""
    return [
        ("tickets", BulkTable(Ticket, with_pk=True)),
        ("history", BulkTable(Ticket.history.model)),
        ("escalations", BulkTable(Escalation, with_pk=True)),
        ("escalation_notes", BulkTable(EscalationNote)),
        ("criteria", BulkTable(Escalation.criteria.through)),
        ("transfers", BulkTable(OwnershipTransfer)),
        ("notes", BulkTable(TicketNote)),
    ]


def _save(batch: Batch, tables: list[tuple[str, BulkTable]], summary: VolumeSummary) -> None:
    for name, table in tables:
        table.insert(getattr(batch, name))
    summary.tickets += len(batch.tickets)
    summary.history += len(batch.history)
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
        cast, tables = ensure_cast(rng), _tables()
        first = (Ticket.objects.aggregate(highest=Max("number"))["highest"] or FIRST_TICKET_NUMBER - 1) + 1
        ids = Ids(ticket=next_id(Ticket), escalation=next_id(Escalation))
        times = creation_times(rng, tickets - (1 if events else 0), days, now)
        for start in range(0, max(len(times), 1), BATCH_SIZE):
            batch = Batch()
            for offset, created_at in enumerate(times[start : start + BATCH_SIZE]):
                add_ticket(cast, rng, batch, ids, first + start + offset, created_at, now)
            if events and start + BATCH_SIZE >= len(times):
                add_events_ticket(cast, rng, batch, ids, first + len(times), events, now)
            _save(batch, tables, summary)
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
