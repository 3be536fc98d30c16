"""The clock's lease, and no more minute schedule: every cluster worker now runs the clock's loop itself."""

from django.db import migrations, models

NAME, FUNC = "SLA clock", "escalations.tasks.run_clock"


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME, defaults={"func": FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0017_desk_event_outbox"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClockLease",
            fields=[
                ("name", models.CharField(max_length=30, primary_key=True, serialize=False)),
                ("holder", models.CharField(blank=True, max_length=100)),
                ("expires_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(unschedule, schedule),
    ]
