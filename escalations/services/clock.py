"""What the SLA clock does when a deadline passes. Each deadline is acted on exactly once.

Exactly once: the acting transaction first inserts an SlaEvent row unique on (ticket, kind, deadline),
then re-reads the ticket under a row lock and acts only if the deadline is still the one that fell due.
A second sweep, a second cluster or a retried task hits the unique constraint; an agent who acknowledged
meanwhile moved the deadline, so the clock does nothing. Whichever commits first wins; never both.
"""

import time
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from escalations import roles
from escalations.models import OwnershipTransfer, Profile, SlaEvent, Ticket
from escalations.services.audit import require_transition, save_with_audit

CLOCK_USERNAME = "sla-clock"


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


def due_acknowledgements(now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """Assignments whose acknowledgement deadline passed: one range scan of the partial index."""
    due = Ticket.objects.filter(status=Ticket.Status.ASSIGNED, acknowledgement_due__lte=now)
    return list(due.order_by("acknowledgement_due").values_list("pk", "acknowledgement_due")[:limit])


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


def fail_over(ticket_id: int, deadline: datetime, *, now: datetime | None = None) -> bool:
    """Reassign a ticket nobody acknowledged: to the backup, the escalation owner, else the team queue + managers."""
    from escalations.notifications import managers_of, notify

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


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Act on every deadline that has passed; returns how many actions were taken."""
    now = now or timezone.now()
    return sum(fail_over(pk, deadline, now=now) for pk, deadline in due_acknowledgements(now, limit))


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
