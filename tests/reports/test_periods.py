"""Periods as a support lead picks them, and trend buckets in the desk's time zone."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from reporting.filters import period_bounds
from reporting.selectors import overview
from tests.reports.conftest import period

NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def test_this_month_is_compared_with_the_whole_month_before():
    start, end, previous = period_bounds("month", now=NOW)
    assert (start, end, previous) == (datetime(2026, 12, 1, tzinfo=UTC), NOW, datetime(2026, 11, 1, tzinfo=UTC))


def test_last_month_is_a_whole_month_beside_the_one_before():
    assert period_bounds("last_month", now=NOW) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )


def test_custom_dates_include_the_end_day_and_the_previous_period_is_as_long():
    start, end, previous = period_bounds("custom", date(2026, 11, 1), date(2026, 11, 7), now=NOW)
    assert (start, end, previous) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC), None)


@pytest.mark.django_db
def test_trend_days_follow_the_desks_time_zone(story):
    story.opened(17 * 60)  # 02:00 UTC on Tuesday 3 November: still Monday evening in New York
    assert [row["bucket"] for row in overview.trend(period())] == [date(2026, 11, 3)]
    with timezone.override("America/New_York"):
        assert [row["bucket"] for row in overview.trend(period())] == [date(2026, 11, 2)]
