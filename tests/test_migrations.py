"""The migrations agree with the models, and build indexes without blocking a large PostgreSQL table's writes."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from escalations.models import Ticket
from reporting.selectors.common import BEING_WORKED

pytestmark = pytest.mark.django_db
History = Ticket.history.model
REPORT_INDEXES = ["report_ticket_created", "report_ticket_resolved", "report_history_acknowledged"]


def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", check=True, dry_run=True, stdout=StringIO())  # exits 1 on a model change


def test_the_report_indexes_are_declared_on_the_models():
    declared = [index.name for model in (Ticket, History) for index in model._meta.indexes]
    assert set(REPORT_INDEXES) <= set(declared)


@pytest.mark.django_db(transaction=True)  # CREATE INDEX CONCURRENTLY cannot run in a transaction
def test_the_report_indexes_are_built_concurrently_on_postgresql():
    sql = StringIO()
    call_command("sqlmigrate", "escalations", "0012_report_indexes", stdout=sql)
    statements = [line for line in sql.getvalue().splitlines() if line.startswith("CREATE")]
    concurrently = connection.vendor == "postgresql"
    assert [name in statement for name, statement in zip(REPORT_INDEXES, statements, strict=True)] == [True] * 3
    assert all(("CONCURRENTLY" in statement) == concurrently for statement in statements)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's planner also weighs the table's size")
def test_sqlite_reads_acknowledgements_through_their_partial_index():
    rows = History.objects.filter(
        BEING_WORKED, acknowledged_at__isnull=False, created_at__gte=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert "report_history_acknowledged" in rows.order_by().values("created_at", "acknowledged_at", "tier").explain()
