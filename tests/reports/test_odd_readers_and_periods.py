"""Reports never answer 500: a reader in no team, a period at the ends of the calendar, a period with no tickets."""

import pytest
from django.contrib.auth.models import Group

from escalations import roles
from escalations.management import role_groups_sync
from tests.conftest import _person
from tests.reports.conftest import get_report

pytestmark = pytest.mark.django_db

PAGES = ["overview", "escalations", "sla", "accounts", "quality", "reviews"]
NO_TEAM = "You are in no support team yet"


def _every_page_and_csv(client, user, **params):
    """Each report page, each of its tables as CSV, and the drill-down: (what, response)."""
    for page in PAGES:
        response = get_report(client, page, user, **params)
        yield page, response
        for table in response.context["tables"]:
            yield f"{page} {table.key}.csv", get_report(client, page, user, csv=table.key, **params)
    yield "tickets", get_report(client, "tickets", user, **params)


@pytest.fixture
def worked(story, desk):
    story.escalated(story.acknowledged(5 * 60), 6 * 60)  # a breach and an escalation in T0's three days
    story.acknowledged(10, severity=desk.p2, owner=desk.l2_agent)


@pytest.mark.parametrize("who", ["admin", "new_agent"])
def test_a_reader_in_no_team_gets_every_report_empty_with_the_reason(client, desk, worked, who):
    reader = desk.admin if who == "admin" else _person("nina.new", Group.objects.get(name=roles.AGENTS))
    for what, response in _every_page_and_csv(client, reader):
        assert response.status_code == 200, what
        if not what.endswith(".csv"):
            assert NO_TEAM in response.content.decode(), what
    opened = get_report(client, "overview", reader).context["tables"][0].rows[0]
    assert [cell.text for cell in opened[:2]] == ["Opened", "0"]
    breaches = get_report(client, "sla", reader, csv="breaches").content.decode()
    assert len(breaches.splitlines()) == 1  # the header, no ticket


def test_a_reader_in_a_team_is_not_told_they_are_in_none(client, desk, worked):
    assert NO_TEAM not in get_report(client, "overview", desk.l1_agent).content.decode()


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-01-05"), ("9999-12-25", "9999-12-31"), ("1999-12-31", "2000-01-02")],
)
def test_custom_dates_outside_2000_to_2100_are_refused_with_a_message(client, desk, worked, start, end):
    for what, response in _every_page_and_csv(client, desk.manager, start=start, end=end):
        assert response.status_code == 200, what
        if not what.endswith(".csv"):
            assert "Custom dates go from 2000-01-01 to 2100-12-31." in response.content.decode(), what
            assert response.context["filter"].start.year == 2026, what  # the default period instead


@pytest.mark.parametrize(("start", "end"), [("2000-01-01", "2000-12-30"), ("2100-01-05", "2100-12-31")])
def test_a_period_at_the_ends_of_the_allowed_years_reports_it_empty(client, desk, worked, start, end):
    for what, response in _every_page_and_csv(client, desk.manager, start=start, end=end):
        assert response.status_code == 200, what
        if not what.endswith(".csv"):
            assert response.context["form"].is_valid(), what
            assert response.context["filter"].start.year == int(start[:4]), what


def test_a_period_with_no_tickets_renders_every_report(client, desk):
    for what, response in _every_page_and_csv(client, desk.l2_agent):
        assert response.status_code == 200, what
    page = get_report(client, "sla", desk.manager).content.decode()
    assert "Nothing in this period." in page


@pytest.mark.parametrize("dimension", ["account", "passed_tier", "acked_by"])
def test_a_figure_whose_id_no_database_can_hold_falls_back_to_every_ticket(client, desk, worked, dimension):
    response = get_report(client, "tickets", desk.manager, metric="opened", **{dimension: 10**23})
    assert response.status_code == 200
    assert len(response.context["tickets"]) == 2


def test_a_fresh_install_with_no_tiers_yet_renders_every_report(client):
    role_groups_sync()  # what a migrate gives the role groups, whatever an earlier test left
    manager = _person("mona.fresh", Group.objects.get(name=roles.MANAGERS))
    for what, response in _every_page_and_csv(client, manager):
        assert response.status_code == 200, what
