"""Admins see django-axes' sign-in lockouts and logs in the admin, and clear a lockout by deleting its attempt."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LOCKOUTS = ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"]


def grant(apps, schema_editor):
    axes = apps.get_app_config("axes")
    axes.models_module = True  # permissions are normally created after all migrations ran; the grant needs them now
    create_permissions(axes, verbosity=0)
    axes.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    admins, _ = Group.objects.get_or_create(name="Admins")
    admins.permissions.add(*Permission.objects.filter(content_type__app_label="axes", codename__in=LOCKOUTS))


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0014_admin_hardening"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
