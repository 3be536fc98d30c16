"""The Content-Security-Policy in a real Chromium: the main pages break none of it and their scripts still work."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_reports import DRAWN
from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium fires this event (and logs a console error) for every script, style or image the policy refuses.
LISTEN = """document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});"""


def _is_violation(message) -> bool:
    # A missing /favicon.ico is a failed load, not a refusal; refusals read "Refused to …" or come from LISTEN.
    return message.type == "error" and not message.text.startswith("Failed to load resource")


@pytest.fixture
def violations(page):
    """Every CSP violation, console error and script error of the page, as text."""
    found = []
    page.add_init_script(LISTEN)
    page.on("console", lambda message: found.append(message.text) if _is_violation(message) else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def _visit(page, live_server, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("load")


@pytest.mark.usefixtures("demo_desk")
def test_a_managers_pages_keep_to_the_policy_and_their_scripts_work(page, live_server, violations):
    _sign_in(page, live_server, "manager")
    page.get_by_role("link", name="All open").click()
    page.get_by_role("row").filter(has_text="How do I export invoices").get_by_role("link").first.click()
    description = page.locator("p.text-pre-wrap")
    expect(description).to_have_css("white-space", "pre-wrap")  # the moved style arrives from desk.css

    page.get_by_role("link", name="Escalate", exact=True).click()
    page.locator('input[name="criteria"]').first.check()
    expect(page.get_by_test_id("decision")).to_contain_text("because “")  # escalation-decision.js ran

    _visit(page, live_server, "/templates/")
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill("CSP check")
    page.get_by_role("button", name="Create").click()
    page.locator('[name="steps-0-kind"]').select_option("assign")
    expect(page.locator("[data-step] [data-param][hidden]").first).to_be_attached()  # editor.js ran

    _visit(page, live_server, "/reports/")
    page.wait_for_function(f"() => ({DRAWN})(document.querySelector('canvas[data-chart=\"chart-trend\"]'))")
    expect(page.locator(".chart-box").first).to_have_css("height", "260px")

    assert violations == []


@pytest.mark.usefixtures("demo_desk")
def test_the_admins_pages_keep_to_the_policy(page, live_server, violations):
    _sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Tiers").click()
    page.get_by_role("link", name="L1").click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history")).to_be_visible()
    _visit(page, live_server, "/admin/escalations/ticket/")
    page.get_by_role("link", name=re.compile("SUP-")).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    assert violations == []
