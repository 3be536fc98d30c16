"""Granted Admins django-axes' lockouts; the grants now come from `escalations.roles.ROLE_PERMISSIONS`, applied after
every migrate. Kept so databases that ran it keep their history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("escalations", "0014_admin_hardening")]

    operations = []
