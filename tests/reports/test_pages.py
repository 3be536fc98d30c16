"""The report pages as people use them: filters, CSV equal to the table, drill-down, scope, fixed query counts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.figures import NOTHING, Cell
from tests.reports.conftest import CUSTOM, at, get_report

pytestmark = pytest.mark.django_db

PAGES = ["overview", "escalations", "sla", "accounts", "quality", "reviews"]


def _tables(response) -> dict:
    return {table.key: table for table in response.context["tables"]}


@pytest.fixture
def worked(story, desk):
    """Two L1 tickets (one escalated by alice to L2 and acknowledged there), one P2 straight at L2."""
    first = story.escalated(story.acknowledged(10), 30)
    story.acknowledge(first, 40, desk.l2_agent)
    story.acknowledged(20)
    story.acknowledged(15, severity=desk.p2, owner=desk.l2_agent)
    return first


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_its_tables_to_a_manager(client, desk, worked, page):
    response = get_report(client, page, desk.manager)
    assert response.status_code == 200
    assert response.context["tables"]


@pytest.mark.parametrize("page", PAGES)
def test_every_table_downloads_as_csv_holding_the_tables_figures(client, desk, worked, page):
    for key, table in _tables(get_report(client, page, desk.manager)).items():
        response = get_report(client, page, desk.manager, csv=key)
        assert response["Content-Type"].startswith("text/csv")
        header, *rows = csv.reader(io.StringIO(response.content.decode()))
        assert all(name.startswith(column) for name, column in zip(header, table.columns, strict=True)), key
        assert len(rows) == len(table.rows), key
        for row, cells in zip(rows, table.rows, strict=True):
            assert [(text, cell) for text, cell in zip(row, cells, strict=True) if not _holds(text, cell)] == [], key


def _holds(text: str, cell: Cell) -> bool:
    """A CSV cell holds a figure as its number, "—" as nothing, other text as itself (a KPI's perhaps with its unit)."""
    if cell.value is not None:
        return float(text) == cell.value
    return text == ("" if cell.text == NOTHING else cell.text) or text.startswith(f"{cell.text} (")


def test_an_unknown_csv_table_is_not_found(client, desk):
    assert get_report(client, "overview", desk.manager, csv="nope").status_code == 404


def test_the_overview_headline_counts_and_compares(client, desk, worked):
    headline = _tables(get_report(client, "overview", desk.manager))["headline"]
    rows = {row[0].text: [cell.text for cell in row[1:]] for row in headline.rows}
    assert rows["Opened"] == ["3", "0", "+3"]
    assert rows["Escalation rate"][0] == "33.3%"
    assert rows["Time to acknowledge (median)"][0] == "12m 30s"  # 10, 10 (at L2), 15, 20 minutes


def test_the_severity_filter_narrows_every_figure(client, desk, worked):
    headline = _tables(get_report(client, "overview", desk.manager, severity=desk.p2.pk))["headline"]
    assert headline.rows[0][1].text == "1"


def test_a_figure_links_to_exactly_the_tickets_behind_it(client, desk, worked):
    headline = _tables(get_report(client, "overview", desk.manager))["headline"]
    escalated = next(row for row in headline.rows if row[0].text == "Escalation rate")[1].link
    with at(3 * 24 * 60):
        response = client.get(escalated)
    assert [ticket.pk for ticket in response.context["tickets"]] == [worked.pk]
    assert worked.reference in response.content.decode()


def test_an_agent_sees_only_their_teams_figures_and_people(client, desk, worked):
    by_agent = _tables(get_report(client, "escalations", desk.l2_agent))["by-agent"]
    assert [row[0].text for row in by_agent.rows] == ["bob.l2"]  # alice (L1) is another team's agent
    owners = _tables(get_report(client, "sla", desk.l2_agent))["ack-owner"]
    assert [row[0].text for row in owners.rows] == ["bob.l2"]
    manager_view = _tables(get_report(client, "escalations", desk.manager))["by-agent"]
    assert {row[0].text for row in manager_view.rows} == {"alice.l1", "bob.l2"}


def test_an_agent_cannot_filter_on_another_teams_agent(client, desk, worked):
    response = get_report(client, "escalations", desk.l2_agent, agent=desk.l1_agent.pk)
    assert "agent" in response.context["form"].errors
    assert response.context["filter"].agent is None
    assert response.context["filter"].teams == frozenset({desk.l2.team_id})


def test_someone_outside_the_support_team_gets_no_reports(client, desk):
    assert get_report(client, "overview", desk.outsider).status_code == 403
    client.force_login(desk.outsider)
    assert client.get(reverse("reporting:tickets")).status_code == 403


def test_a_custom_period_backwards_is_refused_with_a_message_and_the_default_shown(client, desk):
    client.force_login(desk.manager)
    response = client.get(
        reverse("reporting:overview"), {"period": "custom", "start": "2026-11-05", "end": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_the_filter_bar_shows_the_default_period_the_figures_are_for(client, desk):
    client.force_login(desk.manager)
    page = client.get(reverse("reporting:overview")).content.decode()
    assert '<option value="30d" selected>Last 30 days</option>' in page
    assert '<option value="7d">Last 7 days</option>' in page


def _more_tickets(story, desk, count: int) -> None:
    for index in range(count):
        ticket = story.acknowledged(5 + index)
        if index % 2:
            story.acknowledge(story.escalated(ticket, 60 + index), 70 + index, desk.l2_agent)


@pytest.mark.parametrize("page", [*PAGES, "tickets"])
@pytest.mark.parametrize("who", ["manager", "l2_agent"])
def test_a_page_costs_the_same_queries_whatever_the_number_of_tickets(
    client, desk, story, page, who, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get_report(client, page, getattr(desk, who)).status_code == 200
        return len(captured)

    _more_tickets(story, desk, 2)
    few = queries()
    _more_tickets(story, desk, 8)
    with django_assert_max_num_queries(few):
        assert get_report(client, page, getattr(desk, who)).status_code == 200
    assert few <= 45  # PostgreSQL: a percentile query comes with its SET LOCAL work_mem in a savepoint


def test_the_nav_links_the_reports(client, desk):
    client.force_login(desk.l1_agent)
    page = client.get(reverse("escalations:queue")).content.decode()
    assert f'href="{reverse("reporting:overview")}"' in page


def test_a_chart_has_its_data_in_a_json_script_and_its_table_beside_it(client, desk, worked):
    page = get_report(client, "overview", desk.manager).content.decode()
    assert 'data-chart="chart-trend"' in page
    assert '<script id="chart-trend" type="application/json">' in page
    assert 'data-testid="table-trend"' in page


def test_tickets_behind_a_figure_of_the_previous_period(client, desk, story):
    old = story.opened(-2 * 24 * 60)
    client.force_login(desk.manager)
    with at(3 * 24 * 60):
        response = client.get(reverse("reporting:tickets"), CUSTOM | {"metric": "opened", "which": "previous"})
    assert [ticket.pk for ticket in response.context["tickets"]] == [old.pk]


def test_a_handoffs_bucket_links_to_its_tickets(client, desk, worked):
    handoffs = _tables(get_report(client, "escalations", desk.manager))["handoffs"]
    one = next(row for row in handoffs.rows if row[0].text == "1")
    with at(3 * 24 * 60):
        response = client.get(one[1].link)
    assert [ticket.pk for ticket in response.context["tickets"]] == [worked.pk]


def test_a_compliance_row_links_to_the_tickets_of_its_tier_only(client, desk, worked):
    by_tier = _tables(get_report(client, "sla", desk.manager))["compliance-tier"]
    l2 = next(row for row in by_tier.rows if row[0].text.startswith("L2"))
    with at(3 * 24 * 60):
        response = client.get(l2[1].link)
    assert {ticket.tier for ticket in response.context["tickets"]} == {desk.l2}
    assert len(response.context["tickets"]) == int(l2[1].text) == 2


def test_the_tickets_behind_a_figure_keep_the_figure_when_the_filters_change(client, desk, worked):
    client.force_login(desk.manager)
    with at(3 * 24 * 60):
        page = client.get(reverse("reporting:tickets"), CUSTOM | {"metric": "escalated", "left_tier": desk.l1.pk})
    html = page.content.decode()
    assert '<input type="hidden" name="metric" value="escalated">' in html
    assert f'<input type="hidden" name="left_tier" value="{desk.l1.pk}">' in html
    assert 'name="severity"' in html


def test_an_over_escalation_figure_links_to_the_ticket_sent_back(client, desk, story):
    undone = story.escalated(story.acknowledged(5), 30)
    story.acknowledge(undone, 35, desk.l2_agent)
    with at(60):
        desk.deescalate(undone.__class__.objects.get(pk=undone.pk), desk.l2_agent, desk.l1)
    story.escalated(story.acknowledged(5), 30)
    [row] = _tables(get_report(client, "quality", desk.manager))["over-tier"].rows
    assert [cell.text for cell in row] == ["L1", "2", "1", "50.0%"]
    with at(3 * 24 * 60):
        response = client.get(row[2].link)
    assert [ticket.pk for ticket in response.context["tickets"]] == [undone.pk]
