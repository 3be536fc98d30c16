"""A queue left open on a screen keeps its countdowns current without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalations.models import Ticket
from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_queue_redraws_a_countdown_that_turned_breached(page, live_server, demo_desk):  # noqa: F811
    page.clock.install()
    _sign_in(page, live_server, "agent.l1")
    first_row = page.get_by_test_id("queue-rows").locator("tr").first
    reference = first_row.locator("td").first.inner_text()
    number = int(reference.removeprefix(Ticket.REFERENCE_PREFIX))
    ticket = Ticket.objects.filter(number=number)
    later = timezone.now() + timedelta(days=9)
    ticket.update(first_responded_at=None, acknowledgement_due=None, first_response_due=later, resolution_due=later)
    page.reload()
    row = page.get_by_test_id("queue-rows").locator("tr", has_text=reference)
    expect(row.locator("[data-sla]")).not_to_have_attribute("data-sla", "breached")
    ticket.update(first_response_due=timezone.now() - timedelta(minutes=20))
    page.clock.fast_forward(31_000)
    expect(row.locator("[data-sla]")).to_have_attribute("data-sla", "breached")
    expect(row).to_contain_text("breached 20m ago")
