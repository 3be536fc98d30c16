"""Schedule the SLA clock and notification retries in django-q2 (every minute, forever)."""

from django.db import migrations

SCHEDULES = [
    ("SLA clock", "escalations.tasks.run_clock"),
    ("Notification retries", "escalations.tasks.retry_notifications"),
]


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": 1, "repeats": -1}
        )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[name for name, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0006_sla_clock_and_notifications"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
