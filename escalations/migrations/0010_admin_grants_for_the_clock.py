"""Granted Admins the calendars, webhooks, away flags and reads of the clock and django-q2; the grants now come from
`escalations.roles.ROLE_PERMISSIONS`, applied after every migrate. Kept so databases that ran it keep their history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("escalations", "0009_calendar_hours_validation")]

    operations = []
