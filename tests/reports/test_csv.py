"""CSV downloads as a spreadsheet reads them: raw numbers with their unit in the header, text never run as a formula."""

import csv
import io

import pytest

from escalations.models import Account, EscalationCriterion
from reporting.figures import COUNT, DURATION, PERCENTAGE, Cell
from reporting.tables import Table
from tests.reports.conftest import get_report

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"
TWO_DAYS = 2 * 24 * 60


def _csv(client, page: str, user, table: str, **params) -> list[list[str]]:
    response = get_report(client, page, user, csv=table, **params)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _by_label(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows[1:]}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_neutralises_text_that_starts_like_a_formula_and_leaves_numbers_alone(start):
    table = Table("t", "T", ["Name", "Figure"], "")
    table.add(f"{start}1+1", COUNT.cell(-3))
    table.add(Cell(f"{start}HYPERLINK(x)", value=None), PERCENTAGE.cell(-46.2))
    rows = list(csv.reader(io.StringIO(table.csv_response().content.decode())))
    assert rows[1:] == [[f"'{start}1+1", "-3"], [f"'{start}HYPERLINK(x)", "-46.2"]]


def test_a_missing_figure_is_an_empty_cell_and_durations_count_in_minutes():
    table = Table("t", "T", ["Owner", "Median", "Rate"], "")
    table.add("alice", DURATION.cell(125 * 60 + 12), PERCENTAGE.cell(100 / 3))
    table.add("bob", DURATION.cell(None), PERCENTAGE.cell(None))
    rows = list(csv.reader(io.StringIO(table.csv_response().content.decode())))
    assert rows == [["Owner", "Median (minutes)", "Rate (%)"], ["alice", "125.2", "33.3"], ["bob", "", ""]]


def test_a_title_written_as_a_formula_is_text_in_the_breach_list_csv(client, desk, story):
    story.acknowledged(5 * 60, title=FORMULA)  # first response after 5 h at L1, whose SLA is 4 h
    rows = _csv(client, "sla", desk.manager, "breaches")
    assert rows[0][1] == "Title" and rows[0][6] == "First response late by (minutes)"
    [breach] = rows[1:]
    assert breach[1] == "'" + FORMULA
    assert breach[6:] == ["60.0", ""]  # one hour late; the resolution is not late
    page = get_report(client, "sla", desk.manager).content.decode()
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page  # the page shows the title as it was typed


def test_a_criterion_written_as_a_formula_is_text_in_the_reasons_csv(client, desk, story):
    EscalationCriterion.objects.filter(tier=desk.l1, position=0).update(text="@SUM(A1:A9)")
    story.escalated(story.acknowledged(5), 30)
    rows = _csv(client, "reviews", desk.manager, "reasons")
    assert rows[1][1:] == ["L1", "'@SUM(A1:A9)", "1"]


def test_the_overview_csv_holds_raw_figures_with_their_unit_and_a_fall_as_a_negative_number(client, desk, story):
    story.acknowledged(30, minute=-TWO_DAYS)  # the previous period: two tickets acknowledged after 30 and 50 min
    story.acknowledged(50, minute=-TWO_DAYS)
    story.escalated(story.acknowledged(10), 30)  # this period: one, acknowledged after 10 min, escalated
    rows = _by_label(_csv(client, "overview", desk.manager, "headline"))
    assert rows["Opened"] == ["1", "2", "-1"]
    assert rows["Escalation rate (%)"] == ["100.0", "0.0", "100.0"]
    assert rows["Time to acknowledge (median) (minutes)"] == ["10.0", "40.0", "-30.0"]
    assert rows["Time to acknowledge (p90) (minutes)"] == ["10.0", "48.0", "-38.0"]  # 30 + 0.9 × 20


def test_the_accounts_csv_holds_the_arr_as_a_number(client, desk, story):
    Account.objects.filter(pk=desk.acme.pk).update(arr=1_250_000)
    for minute in (0, 60):
        story.escalated(story.acknowledged(5, minute=minute), minute + 30)
    rows = _csv(client, "accounts", desk.manager, "repeat-escalations")
    assert rows[0][2:4] == ["ARR (USD)", "Health score"]
    assert rows[1][:4] == ["Acme Corp", "Enterprise", "1250000", "72"]


def test_the_trend_csv_gives_compliance_as_a_percentage(client, desk, story):
    story.acknowledged(5 * 60)  # first response breached
    story.acknowledged(10)  # met
    rows = _csv(client, "overview", desk.manager, "compliance-trend")
    assert rows == [["Day", "First-response compliance (%)", "Resolution compliance (%)"], ["2026-11-02", "50.0", ""]]
