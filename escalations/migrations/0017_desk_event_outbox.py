"""Desk events as rows written with each change (a transactional outbox), and the hourly drain-and-prune schedule."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

NAME, FUNC = "Desk events", "escalations.tasks.drain_desk_events"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME, defaults={"func": FUNC, "schedule_type": "H", "repeats": -1}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0016_webhook_signing_and_history'),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name='DeskEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(max_length=30)),
                ('key', models.CharField(blank=True, help_text='The occurrence, e.g. the deadline that passed.', max_length=64)),
                ('cause', models.JSONField(blank=True, default=list, help_text='The templates acting when the event was caused.')),
                ('details', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='desk_events', to='escalations.ticket')),
            ],
            options={
                'ordering': ['pk'],
            },
        ),
        migrations.CreateModel(
            name='DeskEventReceipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('consumer', models.CharField(max_length=50)),
                ('claim', models.CharField(blank=True, max_length=32)),
                ('leased_until', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('error', models.TextField(blank=True)),
                ('event', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='receipts', to='escalations.deskevent')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('done_at__isnull', True)), fields=['consumer', 'id'], name='desk_event_receipt_open')],
                'constraints': [models.UniqueConstraint(fields=('event', 'consumer'), name='desk_event_receipt_once')],
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]
