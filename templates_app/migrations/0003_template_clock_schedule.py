"""Schedule the templates' clock in django-q2 (every minute, forever), as escalations does for the SLA clock."""

from django.db import migrations

NAME, FUNC = "Templates clock", "templates_app.tasks.run_template_clock"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME, defaults={"func": FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0002_delayed_triggers_and_validation_windows"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
