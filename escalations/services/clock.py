"""What the SLA clock does when a deadline passes. Each deadline is acted on exactly once.

Exactly once: the acting transaction re-reads the due tickets under row locks (skipping rows another sweep holds)
and acts only on a deadline that is still the ticket's and has no SlaEvent yet. The SlaEvent row it inserts is
unique on (ticket, kind, deadline), so a second sweep, a second cluster or a retried task that got past those
checks fails on the constraint and changes nothing. An agent who acknowledged meanwhile moved the deadline, so the
clock does nothing. Whichever commits first wins; never both.

Fast: a sweep reads once what does not change while it runs (the clock's account, the tiers and severities with
their calendars, the managers, the webhooks), works out every due ticket's actions in memory, then writes a
batch's events, tickets, history, escalations, transfers and notifications with one query per table
(services.acting, through services.writing). A ticket
whose actions cannot be worked out is logged and left to the next sweep; when a batch's writes fail, its tickets
are acted on one by one, each in its own transaction, so one bad ticket never holds the others back.
"""

import logging
from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from escalations import roles
from escalations.models import Escalation, OwnershipTransfer, SlaEvent, Ticket, Tier
from escalations.models.ticket import open_statuses_literally
from escalations.services.acting import Acting, Batch, Due, SweepContext
from escalations.services.audit import require_transition, save_with_audit

CLOCK_USERNAME = roles.CLOCK_USERNAME
BATCH_TICKETS = 100  # tickets acted on in one transaction: SQLite's write lock is held for ~0.1 s at most
logger = logging.getLogger(__name__)


def clock_user():
    """The actor the history names for what the clock does; it can work every ticket, and cannot sign in."""
    user, created = get_user_model().objects.get_or_create(username=CLOCK_USERNAME, defaults={"is_active": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=roles.MANAGERS))
    return user


def _next_owner(ticket: Ticket, context: SweepContext):
    """Backup owner, then escalation owner; people who are away are skipped at once."""
    candidates = [ticket.backup_owner, ticket.escalation_owner]
    return next(
        (person for person in candidates if context.available(person) and person.pk != ticket.primary_owner_id), None
    )


def _fail_over(acting: Acting, deadline: datetime) -> None:
    """Reassign a ticket nobody acknowledged: to the backup, the escalation owner, else the team queue + managers."""
    ticket = acting.ticket
    if ticket.status != Ticket.Status.ASSIGNED or ticket.acknowledgement_due != deadline:
        return  # acknowledged, reassigned or closed meanwhile: that action won
    missed = ticket.primary_owner.get_username() if ticket.primary_owner else f"the {ticket.tier.label} team queue"
    successor = _next_owner(ticket, acting.context)
    outcome = f"{missed} did not acknowledge within {ticket.acknowledgement_timeout}; " + (
        f"failed over to {successor.get_username()}" if successor else "nobody left to fail over to: managers alerted"
    )
    if not acting.claim(SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT, deadline, outcome):
        return
    if successor or ticket.primary_owner_id:
        _reassign(acting, successor, outcome)
    else:
        ticket.acknowledgement_due = None
        acting.record(f"Acknowledgement timeout: {outcome}")
    recipients = [successor] if successor else acting.context.managers
    acting.notify(f"{ticket.reference} needs your acknowledgement", outcome, recipients)
    acting.add_desk_event("ack_timeout", deadline)


def _reassign(acting: Acting, successor, outcome: str) -> None:
    ticket, clock = acting.ticket, acting.context.clock
    previous = ticket.primary_owner
    require_transition(ticket, name="transfer", by=clock)(owner=successor)
    if successor is None:
        ticket.acknowledgement_due = None  # the queue has nobody to time out: managers were alerted instead
    acting.record(f"Acknowledgement timeout: {outcome}")
    if successor is not None:
        acting.transfers.append(
            OwnershipTransfer(
                ticket=ticket,
                role=OwnershipTransfer.Role.PRIMARY,
                from_owner=previous,
                to_owner=successor,
                reason=f"Automatic failover: {outcome}",
                expected_response=ticket.acknowledgement_timeout,
                by=clock,
            )
        )


def _escalate_at_point(acting: Acting, deadline: datetime) -> None:
    """The tier's escalate-at share of the resolution time is gone without a resolution path.

    Up one tier as the clock (an Escalation of kind "sla"), or, at the top tier or before anyone took
    the ticket, alert its managers. Either way this deadline is done.
    """
    ticket, context = acting.ticket, acting.context
    if ticket.escalation_due != deadline or ticket.paused_at is not None:
        return
    above = ticket.tier.above(context.tiers.values())
    can_move = above is not None and ticket.status in Ticket.WORKING_STATUSES
    outcome = f"{ticket.tier.escalate_at_percent}% of the {ticket.tier.label} resolution time elapsed without a " + (
        f"resolution path: escalated to {above.label}" if can_move else "resolution path: managers alerted"
    )
    if not acting.claim(SlaEvent.Kind.ESCALATE_AT, deadline, outcome):
        return
    if can_move:
        _escalate_as_clock(acting, above, outcome)
        recipients = context.team(above)
    else:
        ticket.escalation_due = None
        acting.record(f"SLA: {outcome}")
        recipients = context.managers
    acting.notify(f"{ticket.reference}: {outcome}", outcome, recipients)
    acting.add_desk_event("sla_at_risk", deadline)


def _escalate_as_clock(acting: Acting, to_tier: Tier, outcome: str) -> None:
    ticket, clock = acting.ticket, acting.context.clock
    from_tier = ticket.tier
    require_transition(ticket, name="escalate", by=clock)(to_tier=to_tier, owner=None)
    acting.record(f"SLA: {outcome}")
    acting.escalations.append(
        Escalation(
            ticket=ticket, from_tier=from_tier, to_tier=to_tier, kind=Escalation.Kind.SLA, rationale=outcome, by=clock
        )
    )


def _breach_first_response(acting: Acting, deadline: datetime) -> None:
    ticket = acting.ticket
    still_owed = (ticket.first_response_due, ticket.first_responded_at, ticket.first_response_breached_at)
    if still_owed == (deadline, None, None):
        _stamp_breach(acting, deadline, kind=SlaEvent.Kind.FIRST_RESPONSE_BREACH, field="first_response_breached_at")


def _breach_resolution(acting: Acting, deadline: datetime) -> None:
    ticket = acting.ticket
    if (ticket.resolution_due, ticket.breached_at, ticket.paused_at) == (deadline, None, None):
        escalate_to = _breach_escalation(acting, deadline)
        _stamp_breach(acting, deadline, kind=SlaEvent.Kind.RESOLUTION_BREACH, field="breached_at", to=escalate_to)


def _breach_escalation(acting: Acting, deadline: datetime) -> Tier | None:
    """A resolution breach escalates the ticket one tier, if it is not escalated already (issue 4).

    Already escalated: moved up out of its current tier before (then brought back down: no ping-pong), or
    moved up since the deadline passed (the escalation point of the same sweep, or a person, got there first).
    Like the escalation point, it needs a working ticket and a tier above.
    """
    ticket = acting.ticket
    above = ticket.tier.above(acting.context.tiers.values())
    if above is None or ticket.status not in Ticket.WORKING_STATUSES:
        return None
    moves = acting.batch.escalations(ticket.pk) + [(row.from_tier_id, row.created_at) for row in acting.escalations]
    if any(from_tier_id == ticket.tier_id or at >= deadline for from_tier_id, at in moves):
        return None
    return above


def _stamp_breach(acting: Acting, deadline: datetime, *, kind: str, field: str, to: Tier | None = None) -> None:
    ticket, context = acting.ticket, acting.context
    what = SlaEvent.Kind(kind).label.lower()
    outcome = f"{what} at {ticket.tier.label}: due {timezone.localtime(deadline):%a %H:%M}"
    outcome += f"; escalated to {to.label}" if to else ""
    if not acting.claim(kind, deadline, outcome):
        return
    owner = ticket.primary_owner
    setattr(ticket, field, timezone.now())
    if to:
        _escalate_as_clock(acting, to, outcome)
    else:
        acting.record(f"SLA: {outcome}")
    recipients = [*context.managers, owner, *(context.team(to) if to else ())]
    acting.notify(f"{ticket.reference}: {what}", outcome, recipients)
    acting.add_desk_event("sla_breached", deadline)


# In this order when several deadlines of a ticket pass at once.
DEADLINE_ACTIONS = {
    "acknowledgement_due": _fail_over,
    "escalation_due": _escalate_at_point,
    "first_response_due": _breach_first_response,
    "resolution_due": _breach_resolution,
}
SWEEP_FIELDS = ("pk", "status", *DEADLINE_ACTIONS)


def due_deadlines(now: datetime, limit: int) -> list[dict]:
    """Open tickets with any deadline passed and not yet acted on, in one query.

    A UNION of one range scan per deadline kind, each on its partial index (an OR of the four would
    make SQLite scan every open ticket): with nothing due it reads no rows, whatever the volume.
    The acknowledgement scan leaves the status out (SQLite would read every assigned ticket by the status
    index instead): only assigned tickets carry that deadline, and the sweep checks the status it returns.
    """
    running = Q(paused_at__isnull=True)
    owed = Q(first_responded_at__isnull=True, first_response_breached_at__isnull=True)
    kinds = [
        (SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT, "acknowledgement_due", Q()),
        (SlaEvent.Kind.ESCALATE_AT, "escalation_due", running),
        (SlaEvent.Kind.FIRST_RESPONSE_BREACH, "first_response_due", owed),
        (SlaEvent.Kind.RESOLUTION_BREACH, "resolution_due", Q(running, breached_at__isnull=True)),
    ]
    open_tickets = Ticket.objects.filter(open_statuses_literally())
    scans = [
        open_tickets.filter(condition, ~_acted_on(kind, column), **{f"{column}__lte": now})
        .order_by()
        .values(*SWEEP_FIELDS)
        for kind, column, condition in kinds
    ]
    return list(scans[0].union(*scans[1:])[:limit])


def _acted_on(kind: str, column: str) -> Exists:
    """A deadline brought back to a value already acted on (a rule edit recomputing it) stays done."""
    return Exists(SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=kind, deadline=OuterRef(column)))


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Act on every deadline that has passed; returns how many actions were taken."""
    now = now or timezone.now()
    due = [
        Due(row["pk"], name, row[name])
        for row in due_deadlines(now, limit)
        for name in DEADLINE_ACTIONS
        if row[name] is not None and row[name] <= now and (name != "acknowledgement_due" or row["status"] == "assigned")
    ]
    if not due:
        return 0
    context, by_ticket = SweepContext.load(clock=clock_user()), _by_ticket(due)
    batches = [list(by_ticket)[start : start + BATCH_TICKETS] for start in range(0, len(by_ticket), BATCH_TICKETS)]
    return sum(_act([item for pk in batch for item in by_ticket[pk]], context) for batch in batches)


def _by_ticket(due: list[Due]) -> dict[int, list[Due]]:
    grouped = defaultdict(list)
    for item in due:
        grouped[item.ticket_id].append(item)
    return grouped


def _act(due: list[Due], context: SweepContext) -> int:
    """Act on a batch in one transaction; if its writes fail, on each ticket alone, so one bad ticket fails alone.

    A ticket that fails rolls back whole and is logged; the next sweep retries it.
    """
    try:
        with transaction.atomic():
            return _act_at_once(due, context)
    except (OperationalError, InterfaceError):  # the database is down, locked or unlike the code: not one ticket
        logger.exception("SLA clock: the database failed acting on %s deadlines; the next sweep retries", len(due))
        return 0
    except Exception:
        by_ticket = _by_ticket(due)
        if len(by_ticket) == 1:
            logger.exception("SLA clock: acting on ticket %s failed; the next sweep retries it", due[0].ticket_id)
            return 0
        logger.exception("SLA clock: a batch of %s tickets failed; acting on each alone", len(by_ticket))
        return sum(_act(items, context) for items in by_ticket.values())


def _act_at_once(due: list[Due], context: SweepContext) -> int:
    by_ticket = _by_ticket(due)
    tickets = list(
        Ticket.objects.select_for_update(of=("self",), skip_locked=True)  # another sweep has those: it acts on them
        .select_related("primary_owner", "backup_owner", "escalation_owner")
        .filter(open_statuses_literally(), pk__in=by_ticket)
        .order_by("pk")
    )
    for ticket in tickets:
        ticket.tier, ticket.severity = context.tiers[ticket.tier_id], context.severities[ticket.severity_id]
        ticket.ladder_lowest, ticket.ladder_highest = context.ladder_ends
    batch = Batch(context, tickets, due)
    for ticket in tickets:
        acting = Acting(batch, ticket)
        try:
            for item in by_ticket[ticket.pk]:  # in the order of DEADLINE_ACTIONS, as sweep lists them
                DEADLINE_ACTIONS[item.field](acting, item.deadline)
        except Exception:
            logger.exception("SLA clock: ticket %s could not be acted on; the next sweep retries it", ticket.pk)
        else:
            batch.actions.append(acting)
    return batch.write()


def _act_alone(ticket_id: int, field_name: str, deadline: datetime) -> bool:
    return _act([Due(ticket_id, field_name, deadline)], SweepContext.load(clock=clock_user())) == 1


def fail_over(ticket_id: int, deadline: datetime) -> bool:
    """Fail over one ticket whose acknowledgement deadline passed; False if it was acted on or acknowledged."""
    return _act_alone(ticket_id, "acknowledgement_due", deadline)


def escalate_on_sla(ticket_id: int, deadline: datetime) -> bool:
    """Act on one ticket's escalation point; False if that was done already or the deadline moved."""
    return _act_alone(ticket_id, "escalation_due", deadline)


def breach_first_response(ticket_id: int, deadline: datetime) -> bool:
    return _act_alone(ticket_id, "first_response_due", deadline)


def breach_resolution(ticket_id: int, deadline: datetime) -> bool:
    """Marked breached with how late, escalated if not already, and managers alerted."""
    return _act_alone(ticket_id, "resolution_due", deadline)


RECOMPUTE_BATCH = 500
DEADLINE_FIELDS = (
    "first_response_due",
    "resolution_due",
    "escalation_due",
    "first_response_risk_due",
    "resolution_risk_due",
)


def deadlines_recompute(*, reason: str, tickets) -> int:
    """Apply changed SLA rules to open tickets, in batches; each ticket whose deadline moved says why in its history.

    Rule edits reach tickets already open, not only new ones. Unchanged tickets are not written.
    """
    moved, last_pk = 0, 0
    context = SweepContext.load(clock=clock_user())  # each calendar and its holidays read once, not once per ticket
    open_tickets = tickets.filter(open_statuses_literally())
    while batch := list(open_tickets.filter(pk__gt=last_pk).order_by("pk")[:RECOMPUTE_BATCH]):
        with transaction.atomic():
            for ticket in batch:
                ticket.tier, ticket.severity = context.tiers[ticket.tier_id], context.severities[ticket.severity_id]
                before = [getattr(ticket, field) for field in DEADLINE_FIELDS]
                ticket.compute_deadlines()
                if [getattr(ticket, field) for field in DEADLINE_FIELDS] != before:
                    save_with_audit(ticket, by=context.clock, reason=f"Deadlines recomputed: {reason}")
                    moved += 1
        last_pk = batch[-1].pk
    return moved
