"""Created the Agents, Managers and Admins groups; they now come from `escalations.roles.ROLE_PERMISSIONS`, applied
after every migrate (`escalations.management.role_groups_sync`). Kept so databases that ran it keep their history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("escalations", "0001_initial")]

    operations = []
