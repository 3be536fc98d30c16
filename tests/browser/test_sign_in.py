from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command

from escalations.demo import DEMO_PASSWORD

grant_roles = import_module("escalations.migrations.0002_role_groups").grant_roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_desk():
    # A transactional test flushes the tables, taking the migration-made role groups with them.
    grant_roles(apps)
    call_command("import_escalation_config")
    call_command("seed_demo")


def _sign_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_demo_agent_signs_in_and_sees_their_queue(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Queue").is_visible()
    assert page.get_by_test_id("signed-in-as").inner_text() == "agent.l1"
    rows = page.locator("table.table-queue tbody tr")
    assert rows.count() >= 3
    assert "SUP-" in rows.first.inner_text()
    assert page.get_by_role("link", name="Admin").count() == 0


def test_a_wrong_password_is_refused_with_a_message(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1", "not-the-password")
    assert page.get_by_text("Please enter a correct username and password").is_visible()


def test_the_demo_agent_acknowledges_a_ticket_from_its_page(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1")
    page.get_by_role("link", name="My team's tiers").click()
    page.get_by_role("row").filter(has_text="How do I export invoices").get_by_role("link").first.click()
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_label("Reason").fill("On it")
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_test_id("status").inner_text() == "In progress"
    assert page.get_by_test_id("timeline").get_by_text("On it").is_visible()
