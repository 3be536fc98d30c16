"""One side of the acknowledgement-vs-timeout race, run in an OS process of its own by tests/test_clock.py.

`python -m tests.clock_race_side clock|agent`, with DATABASE_URL set to the test database. For each ticket id read
on stdin it loads what its side had before the race (the agent's page, the deadline the clock saw pass), prints
"ready", waits for a "go" line, acts and prints what happened. Anything else ends the process with a traceback.
"""

import sys

import django


def main(side: str) -> None:
    django.setup()
    from escalations.models import Ticket

    for line in sys.stdin:
        ticket = Ticket.objects.select_related("primary_owner").get(pk=int(line))
        print("ready", flush=True)
        sys.stdin.readline()
        print(act(side, ticket), flush=True)


def act(side: str, ticket) -> str:
    from escalations import services
    from escalations.services import clock

    if side == "clock":
        return "failed over" if clock.fail_over(ticket.pk, ticket.acknowledgement_due) else "did nothing"
    try:
        services.ticket_acknowledge(ticket=ticket, by=ticket.primary_owner)
    except services.TicketConflict:
        return "refused"
    return "acknowledged"


if __name__ == "__main__":
    main(sys.argv[1])
