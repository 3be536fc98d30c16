"""A process that dies right after its transaction commits, before any after-commit work (tests/test_outbox.py).

`python -m tests.outbox_crash_side sweep|inbound TICKET_ID [SQLITE_FILE]`, on the test database named by DATABASE_URL
or by the SQLite file. It runs an SLA clock sweep, or records an inbound event on the ticket, and exits with CRASHED
the moment a transaction that left after-commit work has committed: as a worker killed at that instant would.
"""

import os
import sys

import django

CRASHED = 3


def main(action: str, ticket_id: str, sqlite_file: str = "") -> None:
    if sqlite_file:
        from django.conf import settings

        settings.DATABASES["default"]["NAME"] = sqlite_file
    django.setup()
    die_right_after_commit()
    act(action, int(ticket_id))


def die_right_after_commit() -> None:
    from django.db import connection

    run_hooks = connection.run_and_clear_commit_hooks

    def die_instead() -> None:
        if connection.run_on_commit:
            os._exit(CRASHED)
        run_hooks()

    connection.run_and_clear_commit_hooks = die_instead


def act(action: str, ticket_id: int) -> None:
    from escalations.models import Ticket
    from escalations.services import clock
    from templates_app import services

    if action == "sweep":
        clock.sweep()
    else:
        ticket = Ticket.objects.select_related("created_by").get(pk=ticket_id)
        services.inbound_event_record(ticket=ticket, by=ticket.created_by, name="lead_rejected", source="paid_campaign")


if __name__ == "__main__":
    main(*sys.argv[1:])
