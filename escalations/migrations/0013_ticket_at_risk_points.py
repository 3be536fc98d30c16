# The points where a ticket's first-response and resolution clocks turn "at risk", stored with the deadlines.
# The tickets already open get theirs from 0018_store_open_tickets_risk_points, outside this schema change.

from django.db import migrations, models


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
    ]
