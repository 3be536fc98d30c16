"""A report table declared as columns: each column finds its figure in a row, reads it one way and links it."""

from types import SimpleNamespace

from reporting.figures import COUNT, DURATION, NOTHING, PERCENTAGE, TEXT, rate
from reporting.reports.common import tickets_behind
from reporting.tables import Chart, Column, TableSpec


def links(metric: str, **dimensions) -> str:
    return f"{metric}?" + "&".join(f"{name}={value}" for name, value in dimensions.items())


SPEC = TableSpec(
    "by-category",
    "Escalation rate by category",
    "Escalated ÷ opened.",
    (
        Column("Category", TEXT, "category"),
        Column("Opened", COUNT, "opened", tickets_behind("opened", category="category")),
        Column("Escalated", COUNT, "escalated", charted=True),
        Column("Escalation rate", PERCENTAGE, rate("escalated", "opened"), charted=True),
    ),
    chart="bar",
)


def test_each_column_reads_its_figure_from_the_row_and_links_the_tickets_behind_it():
    table = SPEC.build([{"category": "bug", "opened": 3, "escalated": 1}], links)
    assert table.columns == ["Category", "Opened", "Escalated", "Escalation rate"]
    [[category, opened, escalated, share]] = table.rows
    assert (category.text, opened.text, escalated.text, share.text) == ("bug", "3", "1", "33.3%")
    assert (opened.link, escalated.link) == ("opened?category=bug", "")
    assert (share.value, share.unit) == (33.3, "%")  # 1 ÷ 3, as the chart and the CSV get it


def test_a_figure_missing_from_a_row_is_nothing_to_divide_by_and_counts_as_zero():
    [[_category, opened, escalated, share]] = SPEC.build([{"category": "bug"}], links).rows
    assert (opened.text, escalated.text, share.text, share.value) == ("0", "0", NOTHING, None)


def test_only_the_charted_columns_are_drawn_and_a_table_without_a_chart_type_has_none():
    assert SPEC.build([], links).chart == Chart("bar", (2, 3))
    assert TableSpec("t", "T", "", SPEC.columns).build([], links).chart is None


def test_a_column_reads_an_attribute_of_a_model_row():
    ticket = SimpleNamespace(reference="SUP-7", resolution_late=90.0)
    spec = TableSpec(
        "t", "T", "", (Column("Ticket", TEXT, "reference"), Column("Late by", DURATION, "resolution_late"))
    )
    [[reference, late]] = spec.build([ticket], links).rows
    assert (reference.text, late.text, late.value) == ("SUP-7", "1m 30s", 1.5)


def test_a_rate_divides_by_the_sum_of_its_wholes():
    first_response = rate("fr_met", "fr_met", "fr_breached")
    assert first_response({"fr_met": 3, "fr_breached": 1}) == 75.0
    assert first_response({"fr_met": None, "fr_breached": 2}) == 0.0
    assert first_response({}) is None


def test_a_change_in_percentage_points_is_the_difference_of_the_figures_shown():
    change = PERCENTAGE.change(100 / 3, 100 / 6)  # shown as 33.3% and 16.7%, so 16.6 points, not 16.7
    assert (change.text, change.value) == ("+16.6 pts", 16.6)
    assert PERCENTAGE.change(50.0, 75.0).text == "−25 pts"
    assert PERCENTAGE.change(50.0, None).text == NOTHING


def test_a_change_in_durations_and_counts_keeps_its_unit():
    slower = DURATION.change(40 * 60, 10 * 60)
    assert (slower.text, slower.value, slower.unit) == ("+30m 00s", 30.0, "minutes")
    fewer = COUNT.change(None, 2)  # no ticket this period
    assert (fewer.text, fewer.value) == ("-2", -2)
