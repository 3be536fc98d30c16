"""Business-time arithmetic: SLA durations that count only a calendar's working hours ("4 hours, business hours").

Pure functions over a small immutable WorkingTime, built once per calendar (one holiday query), so a sweep can
compute thousands of deadlines without touching the database.

Each day's opening hours are local wall-clock times in the calendar's time zone. They are turned into real
instants day by day, and the arithmetic runs on those instants: a 09:00–17:00 day is 8 hours of work even on
a DST-change day, an interval that spans the changed hour is as long as the clocks make it (00:00–24:00 is
23 hours on spring-forward day), and around-the-clock time is plain elapsed time.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from escalations.models import Calendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# How far add_business_time looks for enough working time before it gives up on a calendar.
MAX_SEARCH = timedelta(days=3 * 366)
TIME_PATTERN = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
HOURS_EXAMPLE = '{"mon": [["09:00", "17:00"]]}'

# Per weekday (Monday first), the sorted (open, close) intervals in minutes after local midnight.
Week = tuple[tuple[tuple[int, int], ...], ...]


@dataclass(frozen=True)
class WorkingTime:
    """When a calendar's clock runs. `zone=None` means around the clock: every real second counts."""

    label: str
    zone: ZoneInfo | None = None
    week: Week = ()
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.zone is not None and not any(self.week):
            raise ValueError(f"{self.label} has no working hours: give it weekday hours or make it 24×7.")

    @classmethod
    def around_the_clock(cls, label: str = "around the clock") -> "WorkingTime":
        return cls(label=label)

    @classmethod
    def from_calendar(cls, calendar: "Calendar") -> "WorkingTime":
        """Read a calendar and its holidays (prefetch `holidays` to share one query across calendars)."""
        if calendar.is_24x7:
            return cls.around_the_clock(f"24×7 calendar ({calendar.name})")
        return cls(
            label=f"business hours ({calendar.name})",
            zone=ZoneInfo(calendar.time_zone),
            week=parse_working_hours(calendar.working_hours),
            holidays=frozenset(holiday.date for holiday in calendar.holidays.all()),
        )


def add_business_time(start: datetime, duration: timedelta, working: WorkingTime) -> datetime:
    """The instant (in UTC) when `duration` of working time has passed after `start`.

    Outside working hours the clock starts at the next opening; a duration that runs out exactly at closing
    time ends at closing time, not at the next opening.
    """
    start = _in_utc(start)
    if duration < timedelta(0):
        raise ValueError(f"Cannot add a negative duration ({duration}).")
    if working.zone is None:
        return start + duration
    remaining = duration
    for opens, closes in _working_periods(working, start, start + MAX_SEARCH):
        begins = max(opens, start)
        if closes <= begins:
            continue
        if remaining <= closes - begins:
            return begins + remaining
        remaining -= closes - begins
    raise ValueError(f"{working.label} does not reach {duration} of working time within 3 years of {start}.")


def business_time_between(start: datetime, end: datetime, working: WorkingTime) -> timedelta:
    """The working time that passes from `start` to `end` (zero if `end` is not after `start`)."""
    start, end = _in_utc(start), _in_utc(end)
    if end <= start:
        return timedelta(0)
    if working.zone is None:
        return end - start
    overlaps = (min(closes, end) - max(opens, start) for opens, closes in _working_periods(working, start, end))
    return sum((overlap for overlap in overlaps if overlap > timedelta(0)), timedelta(0))


def _working_periods(working: WorkingTime, start: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's working intervals as UTC instants, in order and never overlapping, from around `start`.

    It begins a day early so an interval closing at 24:00 on the day before is never missed, whatever the
    time zone does at midnight, and ends a day after `until`'s; callers clip the intervals to their range.
    A wall-clock time the clocks skip (02:30 on New York's spring-forward day) is read with the offset
    before the change (PEP 495, fold=0), i.e. as 03:30 EDT; a repeated one means its first occurrence.
    Such a time can land after the next boundary, so each interval opens no earlier than the last closed.
    """
    zone = working.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    floor = datetime.min.replace(tzinfo=UTC)  # nothing has closed yet
    while day <= last:
        if day not in working.holidays:
            midnight = datetime.combine(day, time(), tzinfo=zone)
            for opens, closes in working.week[day.weekday()]:
                # Aware + timedelta is wall-clock arithmetic: 00:00 + 540 min is 09:00 local, whatever the offset.
                opening = max((midnight + timedelta(minutes=opens)).astimezone(UTC), floor)
                closing = (midnight + timedelta(minutes=closes)).astimezone(UTC)
                if closing > opening:
                    yield opening, closing
                    floor = closing
        day += timedelta(days=1)


def _in_utc(moment: datetime) -> datetime:
    """UTC, because arithmetic on two datetimes sharing a ZoneInfo is wall-clock arithmetic, blind to DST."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone; business time needs an aware datetime.")
    return moment.astimezone(UTC)


def parse_working_hours(value: object) -> Week:
    """Read a Calendar's working_hours JSON; raise ValueError (TypeError for a wrong shape) naming what is at fault.

    A weekday left out has no working hours. "24:00" may close an interval, so an overnight shift is
    written as two intervals: ["22:00", "24:00"] on one day and ["00:00", "06:00"] on the next.
    """
    if not isinstance(value, dict):
        raise TypeError(f"Working hours must map weekdays to lists of intervals, e.g. {HOURS_EXAMPLE}.")
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a weekday: use {', '.join(WEEKDAYS)}.")
    return tuple(_parse_day(day, value.get(day, [])) for day in WEEKDAYS)


def _parse_day(day: str, intervals: object) -> tuple[tuple[int, int], ...]:
    if not isinstance(intervals, list):
        raise TypeError(f'{day}: expected a list of ["HH:MM", "HH:MM"] intervals, e.g. {HOURS_EXAMPLE}.')
    parsed: list[tuple[int, int]] = []
    for interval in intervals:
        if not isinstance(interval, list) or len(interval) != 2:
            raise ValueError(f'{day}: {interval!r} is not an interval; write ["09:00", "17:00"].')
        opens, closes = _minutes(day, interval[0], may_be_midnight=False), _minutes(day, interval[1])
        if opens >= closes:
            raise ValueError(f"{day}: {interval[0]}–{interval[1]} must open before it closes (split overnight shifts).")
        if parsed and opens < parsed[-1][0]:
            raise ValueError(f"{day}: list the intervals in order of opening time ({interval[0]} comes too late).")
        if parsed and opens < parsed[-1][1]:
            raise ValueError(f"{day}: the interval opening at {interval[0]} overlaps the one before it.")
        parsed.append((opens, closes))
    return tuple(parsed)


def _minutes(day: str, text: object, may_be_midnight: bool = True) -> int:
    """Minutes after midnight; "24:00" (only as a closing time) is the end of the day."""
    if may_be_midnight and text == "24:00":
        return MINUTES_PER_DAY
    match = TIME_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if not match:
        closing_hint = ", or 24:00 to close at midnight" if may_be_midnight else ""
        raise ValueError(f"{day}: {text!r} is not a time; use HH:MM from 00:00 to 23:59{closing_hint}.")
    return int(match[1]) * 60 + int(match[2])


def validate_working_hours(value: object) -> None:
    """Model-field validator for Calendar.working_hours: the same rules WorkingTime reads them by."""
    try:
        parse_working_hours(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(str(error), code="invalid_working_hours") from error
