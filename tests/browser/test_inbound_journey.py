"""An admin connects the CRM; the CRM posts a rejected paid-campaign lead; the agent sees the data steward's
validation window on the ticket and signs it in time."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from escalations.models import Ticket
from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_crm_posts_a_lead_rejection_and_the_agent_signs_the_validation_in_time(
    page,
    live_server,
    demo_desk,  # noqa: F811
):
    call_command("seed_templates")
    ticket = Ticket.objects.filter(status="new", tier__level=1).order_by("number").first()
    _sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/templates_app/inboundsource/add/")
    page.get_by_label("Name").fill("CRM")
    page.get_by_label("Slug").fill("crm")
    page.get_by_role("button", name="Save", exact=True).click()
    shown = page.get_by_text(re.compile("The token of CRM, shown this once: ")).inner_text()
    token = shown.rsplit(" ", 1)[1]

    lead = {"event_id": "crm-1", "name": "lead_rejected", "source": "paid_campaign", "ticket": ticket.reference}
    url = f"{live_server.url}/templates/inbound/crm/"
    refused = page.request.post(url, data=lead, headers={"Authorization": "Bearer wrong-token"})
    assert refused.status == 403
    posted = page.request.post(url, data=lead, headers={"Authorization": f"Bearer {token}"})
    assert (posted.status, posted.json()["ticket"]) == (201, ticket.reference)
    assert page.request.post(url, data=lead, headers={"Authorization": f"Bearer {token}"}).json()["duplicate"]

    page.context.clear_cookies()
    _sign_in(page, live_server, "agent.l1")
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    window = page.get_by_test_id("validation-window")
    expect(window).to_contain_text("Validation window of «Lead routing failure» v1: sign the checklist by")
    expect(window).to_contain_text("else it goes to manager2")
    item = page.get_by_test_id("checklist-item").filter(has_text="Data steward: validate the lead sync")
    item.get_by_placeholder("Your decision").fill("Mapping fixed in the CRM")
    item.get_by_role("button", name="Sign").click()
    expect(page.get_by_test_id("validation-window")).to_contain_text("Validated in time")
