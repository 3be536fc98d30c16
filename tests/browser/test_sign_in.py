import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from devtools.demo import DEMO_PASSWORD
from escalations.management import role_groups_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_desk():
    role_groups_sync()  # what a migrate gives the role groups, whatever an earlier test left
    call_command("import_escalation_config")
    call_command("seed_demo")


def _sign_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_demo_agent_signs_in_and_sees_their_queue(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("agent.l1")
    expect(page.locator("table.table-queue tbody tr").first).to_contain_text("SUP-")
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)


def test_a_wrong_password_is_refused_with_a_message(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1", "not-the-password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()


def test_the_demo_agent_acknowledges_a_ticket_from_its_page(page, live_server, demo_desk):
    _sign_in(page, live_server, "agent.l1")
    page.get_by_role("link", name="My team's tiers").click()
    page.get_by_role("row").filter(has_text="How do I export invoices").get_by_role("link").first.click()
    page.get_by_role("link", name="Acknowledge").click()
    page.get_by_label("Reason").fill("On it")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("status")).to_have_text("In progress")
    expect(page.get_by_test_id("timeline").get_by_text("On it")).to_be_visible()


def test_the_demo_admin_sees_the_seed_tiers_and_severity_overrides_in_the_admin(page, live_server, demo_desk):
    _sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Tiers").click()
    for tier in ["Front-Line Support", "Specialist Support", "Engineering / Executive"]:
        expect(page.get_by_role("row").filter(has_text=tier)).to_have_count(1)
    page.get_by_role("link", name="Severities").click()
    for code, route in [("P0", "L3"), ("P1", "L3"), ("P2", "L2")]:
        expect(page.get_by_role("row").filter(has_text=f"{code} (SEV")).to_contain_text(route)
