"""Store the at-risk points (0013's columns) of the tickets already open whose clock runs around the clock.

Only the arithmetic those need is written here, on the historical models: a migration must not import the desk's
business-time code, which may change or move after this ran. A ticket on a business-hours calendar is left without
them: the ticket computes a missing point from its calendar when asked (as for one saved before the columns came),
and the next recompute of its deadlines (editing its calendar, tier or severity) stores it.

In batches of 500 tickets, each in its own transaction, so a large table is never locked as a whole; only tickets
still without the points are read, so a run that stopped halfway, or a database 0013's first version filled, takes
up where it is.
"""

from datetime import timedelta

from django.db import migrations, transaction
from django.db.models import Q
from django.utils import timezone

OPEN_STATUSES = ["new", "assigned", "in_progress", "waiting_on_customer"]
AROUND_THE_CLOCK = Q(severity__calendar__is_24x7=True) | Q(severity__calendar__isnull=True) & (
    Q(tier__calendar__isnull=True) | Q(tier__calendar__is_24x7=True)
)
BATCH = 500


def _paused(ticket, now) -> timedelta:
    """The time spent waiting on the customer so far; around the clock, every second of it counts."""
    if not ticket.tier.pause_on_waiting:
        return timedelta(0)
    current = max(now - ticket.paused_at, timedelta(0)) if ticket.paused_at else timedelta(0)
    return ticket.paused_for + current


def _store_risk_points(ticket, now) -> None:
    """The tier's escalate-at share of each clock, from the ticket's creation (the resolution one moved by pauses)."""
    tier, created = ticket.tier, ticket.created_at
    ticket.first_response_risk_due = created + tier.first_response_sla * tier.escalate_at_percent / 100
    ticket.resolution_risk_due = (
        created + tier.resolution_target * tier.escalate_at_percent / 100 + _paused(ticket, now)
    )


def store_open_tickets_risk_points(apps, schema_editor):
    Ticket, alias = apps.get_model("escalations", "Ticket"), schema_editor.connection.alias
    missing = (
        Ticket.objects.using(alias)
        .filter(AROUND_THE_CLOCK, status__in=OPEN_STATUSES, first_response_risk_due__isnull=True)
        .select_related("tier")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    now, last = timezone.now(), 0
    while True:
        with transaction.atomic(using=alias):
            batch = list(missing.filter(pk__gt=last)[:BATCH])
            for ticket in batch:
                _store_risk_points(ticket, now)
            Ticket.objects.using(alias).bulk_update(batch, ["first_response_risk_due", "resolution_risk_due"])
        if len(batch) < BATCH:
            return
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("escalations", "0018_clock_lease")]

    operations = [migrations.RunPython(store_open_tickets_risk_points, migrations.RunPython.noop, elidable=True)]
