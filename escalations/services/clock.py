"""What the SLA clock does when a deadline passes. Each deadline is acted on exactly once.

Exactly once: the acting transaction first inserts an SlaEvent row unique on (ticket, kind, deadline),
then re-reads the ticket under a row lock and acts only if the deadline is still the one that fell due.
A second sweep, a second cluster or a retried task hits the unique constraint; an agent who acknowledged
meanwhile moved the deadline, so the clock does nothing. Whichever commits first wins; never both.
"""

import logging
import time
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from escalations import roles
from escalations.models import Escalation, OwnershipTransfer, Profile, SlaEvent, Ticket, Tier
from escalations.models.ticket import open_statuses_literally
from escalations.notifications import managers_of, notify
from escalations.services.audit import require_transition, save_with_audit
from escalations.signals import send_ticket_event

CLOCK_USERNAME = "sla-clock"
logger = logging.getLogger(__name__)


def clock_user():
    """The actor the history names for what the clock does; it can work every ticket, and cannot sign in."""
    user, created = get_user_model().objects.get_or_create(username=CLOCK_USERNAME, defaults={"is_active": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=roles.MANAGERS))
    return user


def is_available(user) -> bool:
    return user is not None and user.is_active and not Profile.objects.filter(user=user, is_away=True).exists()


def _claim(ticket_id: int, kind: str, deadline: datetime, outcome: str) -> bool:
    """Insert the event row; False when another run already acted on this deadline."""
    try:
        with transaction.atomic():
            SlaEvent.objects.create(ticket_id=ticket_id, kind=kind, deadline=deadline, outcome=outcome[:300])
    except IntegrityError:
        return False
    return True


def _next_owner(ticket: Ticket):
    """Backup owner, then escalation owner; people who are away are skipped at once."""
    candidates = [ticket.backup_owner, ticket.escalation_owner]
    return next(
        (person for person in candidates if is_available(person) and person.pk != ticket.primary_owner_id), None
    )


def fail_over(ticket_id: int, deadline: datetime) -> bool:
    """Reassign a ticket nobody acknowledged: to the backup, the escalation owner, else the team queue + managers."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("tier", "severity", "primary_owner", "backup_owner", "escalation_owner")
            .filter(pk=ticket_id, status=Ticket.Status.ASSIGNED, acknowledgement_due=deadline)
            .first()
        )
        if ticket is None:
            return False  # acknowledged, reassigned or closed meanwhile: that action won
        missed = ticket.primary_owner.get_username() if ticket.primary_owner else f"the {ticket.tier.label} team queue"
        successor = _next_owner(ticket)
        outcome = f"{missed} did not acknowledge within {ticket.acknowledgement_timeout}; " + (
            f"failed over to {successor.get_username()}"
            if successor
            else "nobody left to fail over to: managers alerted"
        )
        if not _claim(ticket.pk, SlaEvent.Kind.ACKNOWLEDGEMENT_TIMEOUT, deadline, outcome):
            return False
        clock = clock_user()
        if successor or ticket.primary_owner_id:
            _reassign(ticket, successor, clock, outcome)
        else:
            ticket.acknowledgement_due = None
            save_with_audit(ticket, by=clock, reason=f"Acknowledgement timeout: {outcome}")
        recipients = [successor] if successor else managers_of(ticket)
        notify(
            ticket=ticket, subject=f"{ticket.reference} needs your acknowledgement", body=outcome, recipients=recipients
        )
        send_ticket_event(ticket, "ack_timeout", key=deadline.isoformat())
    return True


def _reassign(ticket: Ticket, successor, clock, outcome: str) -> None:
    previous = ticket.primary_owner
    require_transition(ticket, name="transfer", by=clock)(owner=successor)
    if successor is None:
        ticket.acknowledgement_due = None  # the queue has nobody to time out: managers were alerted instead
    save_with_audit(ticket, by=clock, reason=f"Acknowledgement timeout: {outcome}")
    if successor is not None:
        OwnershipTransfer.objects.create(
            ticket=ticket,
            role=OwnershipTransfer.Role.PRIMARY,
            from_owner=previous,
            to_owner=successor,
            reason=f"Automatic failover: {outcome}",
            expected_response=ticket.acknowledgement_timeout,
            by=clock,
        )


SWEEP_FIELDS = ("pk", "status", "acknowledgement_due", "escalation_due", "first_response_due", "resolution_due")


def due_deadlines(now: datetime, limit: int) -> list[dict]:
    """Open tickets with any deadline passed and not yet acted on, in one query.

    A UNION of one range scan per deadline kind, each on its partial index (an OR of the four would
    make SQLite scan every open ticket): with nothing due it reads no rows, whatever the volume.
    """
    running = Q(paused_at__isnull=True)
    kinds = [
        Q(status=Ticket.Status.ASSIGNED, acknowledgement_due__lte=now),
        Q(running, escalation_due__lte=now),
        Q(first_response_due__lte=now, first_responded_at__isnull=True, first_response_breached_at__isnull=True),
        Q(running, resolution_due__lte=now, breached_at__isnull=True),
    ]
    open_tickets = Ticket.objects.filter(open_statuses_literally())
    scans = [open_tickets.filter(kind).order_by().values(*SWEEP_FIELDS) for kind in kinds]
    return list(scans[0].union(*scans[1:])[:limit])


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Act on every deadline that has passed; returns how many actions were taken."""
    now = now or timezone.now()
    acted = 0
    for row in due_deadlines(now, limit):
        for field, action in DEADLINE_ACTIONS:
            deadline = row[field]
            if (
                deadline is not None
                and deadline <= now
                and (field != "acknowledgement_due" or row["status"] == "assigned")
            ):
                acted += _act_safely(action, row["pk"], deadline)
    return acted


def _act_safely(action, ticket_id: int, deadline: datetime) -> bool:
    """One bad ticket must not stop the clock: its transaction rolls back, it is logged, the next sweep retries it."""
    try:
        return action(ticket_id, deadline)
    except Exception:
        logger.exception("SLA clock: %s failed for ticket %s (deadline %s)", action.__name__, ticket_id, deadline)
        return False


def profile_set_away(*, user, by, is_away: bool) -> Profile:
    """Someone away is skipped at once: their assignments awaiting acknowledgement fall due now."""
    if by.pk != user.pk and not roles.is_manager(by):
        raise PermissionDenied("Only you or a manager can mark you away.")
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        profile.is_away, profile.away_since = is_away, timezone.now() if is_away else None
        profile.save()
        if is_away:
            awaiting = Ticket.objects.filter(Q(primary_owner=user), status=Ticket.Status.ASSIGNED)
            for ticket in awaiting.select_for_update():
                ticket.acknowledgement_due = timezone.now()
                save_with_audit(ticket, by=by, reason=f"{user.get_username()} is away: fails over at once")
    return profile


def run_clock(*, seconds: float, interval: float = 1.0) -> int:
    """Sweep every `interval` seconds for `seconds`; returns the actions taken.

    Why a loop inside a task: django-q2's scheduler looks at schedules only about every 30 s and
    repeats at most once a minute, so a plain minute sweep acts up to ~90 s late. A minute schedule
    starts this loop for a little longer than a minute; consecutive loops overlap by a few seconds,
    which is harmless because every action is claimed exactly once. Deadlines are then acted on
    within about `interval` seconds, with no extra process beside qcluster.
    """
    stop, acted = time.monotonic() + seconds, 0
    while time.monotonic() < stop:
        started = time.monotonic()
        acted += sweep()
        time.sleep(max(interval - (time.monotonic() - started), 0))
    return acted


def _locked(ticket_id: int, **still) -> Ticket | None:
    """The ticket under a row lock, if it is still open and the deadline that fell due is still its deadline."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("tier", "severity", "primary_owner")
        .filter(open_statuses_literally(), pk=ticket_id, **still)
        .first()
    )


def escalate_on_sla(ticket_id: int, deadline: datetime) -> bool:
    """The tier's escalate-at share of the resolution time is gone without a resolution path (seed 002).

    Up one tier as the clock (an Escalation of kind "sla"), or, at the top tier or before anyone took
    the ticket, alert its managers. Either way this deadline is done.
    """
    with transaction.atomic():
        ticket = _locked(ticket_id, escalation_due=deadline, paused_at__isnull=True)
        if ticket is None:
            return False
        above = Tier.objects.filter(is_active=True, level__gt=ticket.tier.level).order_by("level").first()
        can_move = above is not None and ticket.status in Ticket.WORKING_STATUSES
        outcome = (
            f"{ticket.tier.escalate_at_percent}% of the {ticket.tier.label} resolution time elapsed without a "
            + (f"resolution path: escalated to {above.label}" if can_move else "resolution path: managers alerted")
        )
        if not _claim(ticket.pk, SlaEvent.Kind.ESCALATE_AT, deadline, outcome):
            return False
        clock = clock_user()
        if can_move:
            _escalate_as_clock(ticket, above, clock, outcome)
            recipients = list(above.team.user_set.filter(is_active=True))
        else:
            ticket.escalation_due = None
            save_with_audit(ticket, by=clock, reason=f"SLA: {outcome}")
            recipients = list(managers_of(ticket))
        notify(ticket=ticket, subject=f"{ticket.reference}: {outcome}", body=outcome, recipients=recipients)
        send_ticket_event(ticket, "sla_at_risk", key=deadline.isoformat())
    return True


def _escalate_as_clock(ticket: Ticket, to_tier: Tier, clock, outcome: str) -> None:
    from_tier = ticket.tier
    require_transition(ticket, name="escalate", by=clock)(to_tier=to_tier, owner=None)
    save_with_audit(ticket, by=clock, reason=f"SLA: {outcome}")
    Escalation.objects.create(
        ticket=ticket, from_tier=from_tier, to_tier=to_tier, kind=Escalation.Kind.SLA, rationale=outcome, by=clock
    )


def _breach(ticket_id: int, deadline: datetime, *, kind: str, field: str, still: dict) -> bool:
    with transaction.atomic():
        ticket = _locked(ticket_id, **still)
        if ticket is None:
            return False
        what = SlaEvent.Kind(kind).label.lower()
        outcome = f"{what} at {ticket.tier.label}: due {timezone.localtime(deadline):%a %H:%M}"
        if not _claim(ticket.pk, kind, deadline, outcome):
            return False
        setattr(ticket, field, timezone.now())
        save_with_audit(ticket, by=clock_user(), reason=f"SLA: {outcome}")
        recipients = [*managers_of(ticket), ticket.primary_owner]
        notify(ticket=ticket, subject=f"{ticket.reference}: {what}", body=outcome, recipients=recipients)
        send_ticket_event(ticket, "sla_breached", key=deadline.isoformat())
    return True


def breach_first_response(ticket_id: int, deadline: datetime) -> bool:
    still = {
        "first_response_due": deadline,
        "first_responded_at__isnull": True,
        "first_response_breached_at__isnull": True,
    }
    kind = SlaEvent.Kind.FIRST_RESPONSE_BREACH
    return _breach(ticket_id, deadline, kind=kind, field="first_response_breached_at", still=still)


def breach_resolution(ticket_id: int, deadline: datetime) -> bool:
    """Marked breached with how late, and managers alerted; escalating is the escalate-at deadline's job."""
    still = {"resolution_due": deadline, "breached_at__isnull": True, "paused_at__isnull": True}
    return _breach(ticket_id, deadline, kind=SlaEvent.Kind.RESOLUTION_BREACH, field="breached_at", still=still)


DEADLINE_ACTIONS = [
    ("acknowledgement_due", fail_over),
    ("escalation_due", escalate_on_sla),
    ("first_response_due", breach_first_response),
    ("resolution_due", breach_resolution),
]


RECOMPUTE_BATCH = 500
DEADLINE_FIELDS = ("first_response_due", "resolution_due", "escalation_due")


def deadlines_recompute(*, reason: str, tickets) -> int:
    """Apply changed SLA rules to open tickets, in batches; each ticket whose deadline moved says why in its history.

    Rule edits reach tickets already open, not only new ones. Unchanged tickets are not written.
    """
    moved, last_pk = 0, 0
    clock = clock_user()
    open_tickets = tickets.filter(open_statuses_literally()).select_related("tier__calendar", "severity__calendar")
    while batch := list(open_tickets.filter(pk__gt=last_pk).order_by("pk")[:RECOMPUTE_BATCH]):
        with transaction.atomic():
            for ticket in batch:
                before = [getattr(ticket, field) for field in DEADLINE_FIELDS]
                ticket.compute_deadlines()
                if [getattr(ticket, field) for field in DEADLINE_FIELDS] != before:
                    save_with_audit(ticket, by=clock, reason=f"Deadlines recomputed: {reason}")
                    moved += 1
        last_pk = batch[-1].pk
    return moved
