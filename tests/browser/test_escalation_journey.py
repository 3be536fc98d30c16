"""The journey of issue 3 through the browser: open, escalate with a note, hand over, de-escalate, ping-pong refused."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTEXT = {
    "Summary": "SSO login fails for a third of sign-ins",
    "Symptoms": "Invalid SAML response\nStarted after the IdP certificate update",
    "Customer impact": "50+ users cannot sign in reliably",
    "Steps already taken": "Verified IdP metadata\nChecked SAML logs",
    "Escalation reason": "Needs backend investigation of certificate caching",
}
ENGINEERING = {
    "Affected-users count": "52",
    "Reproduction steps": "Sign in ten times as a test user",
    "Expected behaviour": "Every sign-in succeeds",
    "Actual behaviour": "Three of ten fail",
    "Environment / version": "Web 2026.11, Chrome 131",
    "Logs or data (text or an attachment)": "SAMLResponse rejected: certificate mismatch",
}


def _fill(page, fields: dict) -> None:
    for label, value in fields.items():
        page.get_by_label(label).fill(value)


def _switch_to(page, live_server, username: str, reference: str) -> None:
    page.context.clear_cookies()
    _sign_in(page, live_server, username)
    page.goto(f"{live_server.url}/tickets/{reference}/")


def _escalate(page, criterion: str, fields: dict) -> None:
    page.get_by_role("link", name="Escalate", exact=True).click()
    page.get_by_label(criterion).check()
    expect(page.get_by_test_id("decision")).to_contain_text(f"because “{criterion}”")
    page.get_by_label("Rationale").fill("Outside what this tier can do")
    _fill(page, fields)
    page.get_by_role("button", name=re.compile("Escalate to L")).click()


def test_a_ticket_climbs_the_ladder_with_its_context_and_cannot_ping_pong(page, live_server, demo_desk):  # noqa: F811
    _sign_in(page, live_server, "agent.l1")
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Title").fill("SSO login fails intermittently")
    page.get_by_label("Account").select_option(label="Acme Corp")
    page.get_by_label("Requester").fill("jane@acme.com")
    page.get_by_label("Category").select_option(label="Authentication / SSO")
    page.get_by_label("Severity").select_option(label="P3")
    page.get_by_label("Description").fill("Users see 'Invalid SAML response' on 30% of logins.")
    page.get_by_role("button", name="Open ticket").click()
    reference = page.get_by_test_id("status").locator("xpath=../div").first.inner_text().split(" ")[0]
    page.get_by_role("link", name="Assign").click()
    page.get_by_label("Owner").select_option(label="agent.l1")
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_role("button", name="Acknowledge").click()

    _escalate(page, "Resolution requires backend access", CONTEXT)
    expect(page.get_by_test_id("handoff-brief")).to_contain_text("L1 → L2")
    expect(page.get_by_test_id("handoff-brief")).to_contain_text("2. Checked SAML logs")
    expect(page.get_by_test_id("customer-acknowledgement")).to_contain_text("within 2h")

    _switch_to(page, live_server, "agent.l2", reference)
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("primary-owner")).to_contain_text("agent.l2")
    page.get_by_role("link", name="Escalate", exact=True).click()
    expect(page.get_by_text("required for L3")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    _escalate(page, "Issue requires code change", CONTEXT | ENGINEERING)
    expect(page.get_by_test_id("handoff-brief")).to_contain_text("Three of ten fail")

    _switch_to(page, live_server, "engineer.l3", reference)
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_role("link", name="De-escalate").click()
    page.get_by_label("Fix deployed; follow-up and monitoring belong to a lower tier").check()
    page.get_by_label("What the lower tier follows up on").fill("Watch sign-in errors for a week")
    page.get_by_role("button", name="De-escalate").click()
    expect(page.get_by_test_id("tier")).to_contain_text("L2")

    _switch_to(page, live_server, "agent.l2", reference)
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_role("button", name="Acknowledge").click()
    _escalate(page, "Issue requires code change", CONTEXT | ENGINEERING)
    expect(page.get_by_test_id("form-errors")).to_contain_text("would ping-pong")
    page.goto(f"{live_server.url}/tickets/{reference}/")
    expect(page.get_by_test_id("tier")).to_contain_text("L2")
    expect(page.get_by_test_id("flag")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("Ping-pong refused")
