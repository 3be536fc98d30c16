"""Indexes for the KPI reports (reporting/), declared on the models: tickets by creation and by resolution time, and
the history rows of acknowledged assignments being worked, covering every column the time-to-acknowledge figures read.

On PostgreSQL they are built with CREATE INDEX CONCURRENTLY, so a large ticket table keeps taking writes meanwhile
(hence a migration outside a transaction); other databases build them plainly. Databases that ran this migration's
first version (raw CREATE INDEX) already have the same indexes under the same names.
"""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """Django's AddIndexConcurrently on PostgreSQL; elsewhere a plain AddIndex (it would pass `concurrently` to a
    schema editor that has no such option, and django.contrib.postgres needs psycopg, which SQLite installs lack)."""

    atomic = False

    def _for(self, schema_editor) -> migrations.AddIndex:
        if schema_editor.connection.vendor != "postgresql":
            return migrations.AddIndex(self.model_name, self.index)
        from django.contrib.postgres.operations import AddIndexConcurrently

        return AddIndexConcurrently(self.model_name, self.index)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._for(schema_editor).database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._for(schema_editor).database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("escalations", "0011_template_escalation_kind")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="ticket",
            index=models.Index(fields=["created_at"], name="report_ticket_created"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(resolved_at__isnull=False), fields=["resolved_at"], name="report_ticket_resolved"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="historicalticket",
            index=models.Index(
                condition=models.Q(acknowledged_at__isnull=False, status="in_progress"),
                fields=[
                    *["created_at", "id", "assigned_at", "acknowledged_at", "tier", "primary_owner", "severity"],
                    *["category", "account"],
                ],
                name="report_history_acknowledged",
            ),
        ),
    ]
