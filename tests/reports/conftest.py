"""A frozen clock for building report data with known answers: every step happens at a minute after T0."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from escalations import services
from reporting.filters import ReportFilter

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning
CUSTOM = {"period": "custom", "start": "2026-11-01", "end": "2026-11-04"}  # T0's three days, in the filter bar


@contextmanager
def at(minutes: float):
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        yield


def get_report(client, page: str, user, **params):
    """A report page (or, with csv=<table>, its CSV) for the three days from T0, read at their end."""
    client.force_login(user)
    with at(3 * 24 * 60):
        return client.get(reverse(f"reporting:{page}"), CUSTOM | params)


def period(**dimensions) -> ReportFilter:
    """The three days from T0 (an hour early), compared with the three days before."""
    return ReportFilter(start=T0 - timedelta(hours=1), end=T0 + timedelta(days=3), **dimensions)


class Story:
    """Tickets walked through the services at chosen minutes, so history and records are real."""

    def __init__(self, desk):
        self.desk = desk

    def opened(self, minute: float = 0, **fields):
        with at(minute):
            return self.desk.open_ticket(**fields)

    def acknowledged(self, ack_after: float, *, minute: float = 0, owner=None, **fields):
        """Opened and assigned at `minute`, acknowledged `ack_after` minutes later."""
        owner = owner or self.desk.l1_agent
        ticket = self.opened(minute, **fields)
        with at(minute):
            ticket = services.ticket_assign(ticket=ticket, by=self.desk.manager, owner=owner)
        with at(minute + ack_after):
            return services.ticket_acknowledge(ticket=ticket, by=owner)

    def resolved(self, ticket, minute: float):
        with at(minute):
            return services.ticket_resolve(ticket=ticket, by=self.desk.manager, reason="Fixed")

    def escalated(self, ticket, minute: float, by=None):
        with at(minute):
            self.desk.escalate(ticket, by or self.desk.l1_agent)
        return ticket.__class__.objects.get(pk=ticket.pk)

    def acknowledge(self, ticket, minute: float, by):
        with at(minute):
            return services.ticket_acknowledge(ticket=ticket, by=by)


@pytest.fixture
def story(desk) -> Story:
    return Story(desk)
