"""Issue 5 through the browser: one manager drafts and submits, the other simulates and approves, a new ticket is
handled by the template, a second version goes live and is rolled back."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_as(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    _sign_in(page, live_server, username)


def _open_version(page, live_server, name: str, number: int) -> None:
    page.goto(f"{live_server.url}/templates/")
    page.get_by_test_id("templates").get_by_role("row", name=re.compile(name)).get_by_role(
        "link", name=re.compile(f"v{number} ")
    ).click()


def test_two_managers_take_a_template_live_a_ticket_runs_it_and_a_rollback_restores_it(
    page,
    live_server,
    demo_desk,  # noqa: F811
):
    _sign_in_as(page, live_server, "manager")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill("VIP outage")
    page.get_by_role("button", name="Create").click()
    page.locator('[name="conditions-0-field"]').select_option("critical")
    page.locator('[name="conditions-0-op"]').select_option("eq")
    page.locator('[name="conditions-0-value"]').fill("maybe")
    page.locator('[name="steps-0-kind"]').select_option("assign")
    page.locator('[name="steps-0-role"]').select_option("primary")
    page.locator('[name="steps-0-target"]').select_option("oncall")
    page.locator('[name="steps-0-tier"]').fill("3")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("is yes or no, not “maybe”")
    page.locator('[name="conditions-0-value"]').fill("yes")
    page.locator('[name="conditions-1-field"]').select_option("account_tier")
    page.locator('[name="conditions-1-op"]').select_option("eq")
    page.locator('[name="conditions-1-value"]').fill("enterprise")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("trigger")).to_contain_text(
        "Severity is critical (P0/P1) is yes AND Account tier is enterprise"
    )
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("version-status")).to_have_text("Submitted for approval")

    page.get_by_role("link", name="Review for approval").click()
    page.get_by_label("Sign-off comment").fill("My own work is fine")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("another manager has to review it")).to_be_visible()

    _sign_in_as(page, live_server, "manager2")
    _open_version(page, live_server, "VIP outage", 1)
    page.get_by_role("link", name="Review for approval").click()
    expect(page.get_by_test_id("simulation-summary")).to_contain_text("match(es)")
    page.get_by_label("Sign-off comment").fill("Simulated on 30 days: only critical enterprise tickets")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("version-status")).to_have_text("Active")

    page.goto(f"{live_server.url}/tickets/new/")
    page.get_by_label("Title").fill("Checkout is down for everyone")
    page.get_by_label("Account").select_option(label="Acme Corp")
    page.get_by_label("Requester").fill("jane@acme.com")
    page.get_by_label("Category").select_option(label="Product bug")
    page.get_by_label("Severity").select_option(label="P0")
    page.get_by_label("Description").fill("Every payment fails since 09:00.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_test_id("primary-owner")).to_contain_text(re.compile(r"engineer\.l3|oncall\.l3"))
    expect(page.get_by_test_id("timeline")).to_contain_text("Template «VIP outage» v1 ran")

    _sign_in_as(page, live_server, "manager")
    _open_version(page, live_server, "VIP outage", 1)
    page.get_by_role("button", name="New draft from this version").click()
    page.locator('[name="steps-0-tier"]').fill("2")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for approval").click()
    _sign_in_as(page, live_server, "manager2")
    _open_version(page, live_server, "VIP outage", 2)
    page.get_by_role("link", name="Review for approval").click()
    expect(page.get_by_test_id("diff")).to_contain_text("Assign primary owner: the on-call of L2")
    page.get_by_label("Sign-off comment").fill("L2 first")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("version-status")).to_have_text("Active")

    _open_version(page, live_server, "VIP outage", 1)
    page.get_by_label("Why you roll back").fill("L2 cannot take critical outages")
    page.get_by_role("button", name="Roll back to this version").click()
    expect(page.get_by_test_id("version-status")).to_have_text("Active")
    expect(page.get_by_test_id("history")).to_contain_text("Rolled back to v1: L2 cannot take critical outages")
