"""Admins configure calendars, webhooks and away flags, and read what the clock and django-q2 did."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONFIGURE = [f"{action}_{model}" for model in ["calendar", "holiday", "webhookendpoint", "profile"] for action in ["add", "change", "delete", "view"]]
READ = ["view_slaevent", "view_notification", "view_escalation", "view_ownershiptransfer"]
QUEUE = [f"view_{model}" for model in ["schedule", "failure", "success", "ormq"]] + ["change_schedule"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    admins, _ = Group.objects.get_or_create(name="Admins")
    admins.permissions.add(*Permission.objects.filter(content_type__app_label="escalations", codename__in=CONFIGURE + READ))
    admins.permissions.add(*Permission.objects.filter(content_type__app_label="django_q", codename__in=QUEUE))


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0009_calendar_hours_validation"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
