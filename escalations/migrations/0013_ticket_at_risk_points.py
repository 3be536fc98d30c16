# The points where a ticket's first-response and resolution clocks turn "at risk", stored with the deadlines.

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

from escalations.business_time import WorkingTime, add_business_time, business_time_between

OPEN_STATUSES = ["new", "assigned", "in_progress", "waiting_on_customer"]


def store_open_tickets_risk_points(apps, schema_editor):
    """What Ticket.compute_deadlines now stores, for the tickets open today (a closed one computes it when shown)."""
    Ticket = apps.get_model("escalations", "Ticket")
    connection, now, working = schema_editor.connection, timezone.now(), {}
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).select_related("tier__calendar", "severity__calendar")
    rows = []
    for ticket in tickets.iterator(chunk_size=2000):
        tier, calendar = ticket.tier, ticket.severity.calendar or ticket.tier.calendar
        key = calendar.pk if calendar else None
        if key not in working:
            working[key] = WorkingTime.from_calendar(calendar) if calendar else WorkingTime.around_the_clock()
        paused = timedelta(0)
        if tier.pause_on_waiting:
            current = business_time_between(ticket.paused_at, now, working[key]) if ticket.paused_at else timedelta(0)
            paused = ticket.paused_for + current
        share = tier.escalate_at_percent / 100
        risk_points = [
            add_business_time(ticket.created_at, tier.first_response_sla * share, working[key]),
            add_business_time(ticket.created_at, tier.resolution_target * share + paused, working[key]),
        ]
        rows.append([connection.ops.adapt_datetimefield_value(point) for point in risk_points] + [ticket.pk])
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET first_response_risk_due = %s, resolution_risk_due = %s WHERE id = %s", rows
        )


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0012_report_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalticket',
            name='first_response_risk_due',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalticket',
            name='resolution_risk_due',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='first_response_risk_due',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_risk_due',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(store_open_tickets_risk_points, migrations.RunPython.noop, elidable=True),
    ]
