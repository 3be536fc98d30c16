"""Create the Agents, Managers and Admins groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_CONFIG = ["view_tier", "view_severity", "view_account", "view_escalationcriterion"]
AGENT = VIEW_CONFIG + ["view_ticket", "add_ticket", "work_tickets"]
MANAGER = AGENT + ["manage_tickets"]
ADMIN = [
    f"{action}_{model}"
    for model in ["tier", "severity", "account", "escalationcriterion"]
    for action in ["add", "change", "delete", "view"]
] + ["view_ticket", "change_ticket"]
ADMIN_AUTH = [f"{action}_{model}" for model in ["user", "group"] for action in ["add", "change", "view"]]

ROLES = {"Agents": {"escalations": AGENT}, "Managers": {"escalations": MANAGER}, "Admins": {"escalations": ADMIN, "auth": ADMIN_AUTH}}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the grants below need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    grant_roles(apps)


def grant_roles(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
