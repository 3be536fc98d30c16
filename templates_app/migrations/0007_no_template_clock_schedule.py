"""The templates' clock is a step of the desk's clock loop (escalations.services.clock_loop): no schedule of its own."""

from importlib import import_module

from django.db import migrations

scheduled = import_module("templates_app.migrations.0003_template_clock_schedule")


class Migration(migrations.Migration):
    dependencies = [("templates_app", "0006_inbound_rate_limit")]

    operations = [migrations.RunPython(scheduled.unschedule, scheduled.schedule)]
