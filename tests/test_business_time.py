"""Business-time arithmetic and the deadlines it gives a ticket: nights, weekends, holidays and DST changes."""

from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from escalations import services
from escalations.domain.business_time import (
    WorkingTime,
    add_business_time,
    business_time_between,
    parse_working_hours,
    validate_working_hours,
)
from escalations.domain.deadlines import ticket_deadlines, working_time_for
from escalations.models import Calendar, Holiday, Ticket
from escalations.services import clock

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
EVERY_DAY_9_TO_5 = WEEKDAYS_9_TO_5 | {"sat": [["09:00", "17:00"]], "sun": [["09:00", "17:00"]]}
ALL_DAY_EVERY_DAY = {day: [["00:00", "24:00"]] for day in EVERY_DAY_9_TO_5}
SPLIT_SHIFTS = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS_9_TO_5}
H = timedelta(hours=1)


def office(hours: dict = WEEKDAYS_9_TO_5, zone: ZoneInfo = LONDON, holidays: tuple[date, ...] = ()) -> WorkingTime:
    return WorkingTime("business hours (office)", zone, parse_working_hours(hours), frozenset(holidays))


def at(text: str, zone: ZoneInfo = LONDON) -> datetime:
    """A local wall-clock time; on a repeated hour, its first occurrence."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# Nights, weekends and holidays


def test_it_carries_a_friday_afternoon_ticket_over_the_weekend():
    due = add_business_time(at("2026-01-09 16:00"), 4 * H, office())  # a Friday
    assert due == at("2026-01-12 12:00")
    assert due.tzinfo is UTC


def test_it_starts_the_clock_at_monday_opening_for_a_saturday_ticket():
    assert add_business_time(at("2026-01-10 10:00"), 4 * H, office()) == at("2026-01-12 13:00")


def test_it_starts_the_clock_at_the_next_morning_for_a_ticket_opened_at_night():
    assert add_business_time(at("2026-01-12 22:30"), 4 * H, office()) == at("2026-01-13 13:00")


def test_it_ends_at_closing_time_not_at_the_next_opening():
    assert add_business_time(at("2026-01-09 16:00"), H, office()) == at("2026-01-09 17:00")


def test_it_skips_a_bank_holiday():
    spring_bank_holiday = date(2026, 5, 25)
    due = add_business_time(at("2026-05-22 16:00"), 4 * H, office(holidays=(spring_bank_holiday,)))
    assert due == at("2026-05-26 12:00")


def test_it_counts_no_time_on_a_holiday():
    working = office(holidays=(date(2026, 5, 25),))
    assert business_time_between(at("2026-05-22 12:00"), at("2026-05-26 12:00"), working) == 8 * H


def test_it_skips_the_lunch_break_of_split_shifts():
    working = office(SPLIT_SHIFTS)
    assert add_business_time(at("2026-01-12 11:00"), 2 * H, working) == at("2026-01-12 14:00")
    assert add_business_time(at("2026-01-12 12:30"), H, working) == at("2026-01-12 14:00")
    assert add_business_time(at("2026-01-09 16:00"), 4 * H, working) == at("2026-01-12 12:00")
    assert business_time_between(at("2026-01-12 11:00"), at("2026-01-12 14:00"), working) == 2 * H


def test_it_works_an_overnight_shift_split_at_midnight():
    night = office({"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]})
    assert add_business_time(at("2026-01-09 21:00"), 3 * H, night) == at("2026-01-10 01:00")


def test_it_counts_nothing_between_an_end_before_the_start():
    assert business_time_between(at("2026-01-12 12:00"), at("2026-01-12 10:00"), office()) == timedelta(0)


# Daylight saving time


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2026-03-27 16:00", "2026-03-30 12:00"),  # London springs forward on Sunday 29 March
        ("2026-10-23 16:00", "2026-10-26 12:00"),  # and falls back on Sunday 25 October
    ],
)
def test_it_keeps_office_hours_across_a_london_dst_weekend(opened, due):
    assert add_business_time(at(opened), 4 * H, office()) == at(due)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2026-03-06 16:00", "2026-03-09 12:00"),  # New York springs forward on Sunday 8 March
        ("2026-10-30 16:00", "2026-11-02 12:00"),  # and falls back on Sunday 1 November
    ],
)
def test_it_keeps_office_hours_across_a_new_york_dst_weekend(opened, due):
    assert add_business_time(at(opened, NEW_YORK), 4 * H, office(zone=NEW_YORK)) == at(due, NEW_YORK)


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [(LONDON, "2026-03-29"), (LONDON, "2026-10-25"), (NEW_YORK, "2026-03-08"), (NEW_YORK, "2026-11-01")],
)
def test_a_nine_to_five_day_is_eight_hours_of_work_on_a_dst_change_day(zone, change_day):
    working = office(EVERY_DAY_9_TO_5, zone)
    assert add_business_time(at(f"{change_day} 09:00", zone), 8 * H, working) == at(f"{change_day} 17:00", zone)
    day = business_time_between(at(f"{change_day} 00:00", zone), at(f"{change_day} 23:59", zone), working)
    assert day == 8 * H


def test_it_carries_work_over_a_spring_forward_night_in_real_hours():
    working = office(EVERY_DAY_9_TO_5)
    due = add_business_time(at("2026-03-28 16:00"), 2 * H, working)
    assert due == at("2026-03-29 10:00")
    assert due - at("2026-03-28 16:00") == 17 * H  # a night an hour short


@pytest.mark.parametrize(("change_day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_working_hours_that_span_the_changed_hour_count_real_time(change_day, hours):
    working = office(ALL_DAY_EVERY_DAY)
    midnight = at(f"{change_day} 00:00")
    next_midnight = at(f"{(date.fromisoformat(change_day) + timedelta(days=1)).isoformat()} 00:00")
    assert business_time_between(midnight, next_midnight, working) == hours * H
    assert add_business_time(midnight, hours * H, working) == next_midnight


def test_a_shift_boundary_inside_the_skipped_hour_never_counts_time_twice():
    night = office({"sun": [["01:00", "02:30"], ["03:00", "04:00"]]}, NEW_YORK)
    sunday = business_time_between(at("2026-03-08 00:00", NEW_YORK), at("2026-03-09 00:00", NEW_YORK), night)
    assert sunday == 2 * H  # 01:00 EST to 04:00 EDT


@pytest.mark.parametrize(
    ("zone", "opened", "due"),
    [
        (LONDON, "2026-03-29 00:30", "2026-03-29 05:30"),  # 00:30 GMT + 4h = 05:30 BST
        (LONDON, "2026-10-25 00:30", "2026-10-25 03:30"),  # 00:30 BST + 4h = 03:30 GMT
        (NEW_YORK, "2026-03-08 00:30", "2026-03-08 05:30"),
        (NEW_YORK, "2026-11-01 00:30", "2026-11-01 03:30"),
    ],
)
def test_a_24x7_clock_counts_real_hours_across_the_changed_hour(zone, opened, due):
    assert add_business_time(at(opened, zone), 4 * H, WorkingTime.around_the_clock()) == at(due, zone)


# Around the clock and bad calendars


def test_around_the_clock_is_plain_addition():
    start = at("2026-01-09 16:00")
    working = WorkingTime.around_the_clock()
    assert add_business_time(start, 4 * H, working) == start + 4 * H
    assert business_time_between(start, start + 50 * H, working) == 50 * H


def test_it_refuses_a_calendar_with_no_working_hours():
    with pytest.raises(ValueError, match="no working hours"):
        office({})


def test_it_gives_up_on_a_calendar_that_is_all_holidays():
    every_day = tuple(date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366))
    with pytest.raises(ValueError, match="within 3 years"):
        add_business_time(at("2026-01-05 09:00"), H, office(holidays=every_day))


def test_it_refuses_naive_datetimes_and_negative_durations():
    with pytest.raises(ValueError, match="no time zone"):
        add_business_time(datetime(2026, 1, 12, 9), H, office())
    with pytest.raises(ValueError, match="negative"):
        add_business_time(at("2026-01-12 09:00"), -H, office())


# Properties

ZONES = st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])
HOURS = st.sampled_from(
    [
        WEEKDAYS_9_TO_5,
        SPLIT_SHIFTS,
        ALL_DAY_EVERY_DAY,
        {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]},
        {"sun": [["01:00", "02:30"], ["02:45", "04:00"]]},
    ]
)
WORKING = st.builds(
    lambda hours, zone, holidays: office(hours, ZoneInfo(zone), tuple(holidays)),
    HOURS,
    ZONES,
    st.lists(st.dates(date(2025, 12, 1), date(2027, 6, 30)), max_size=20),
)
STARTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
# Two of these fit within the 3-year search even on the sparsest calendar above (2h45 on Sundays).
DURATIONS = st.timedeltas(timedelta(0), timedelta(hours=150))
POSITIVE = st.timedeltas(timedelta(microseconds=1), timedelta(hours=150))


@given(STARTS, POSITIVE, WORKING)
def test_the_time_between_start_and_deadline_is_the_duration(start, duration, working):
    due = add_business_time(start, duration, working)
    assert business_time_between(start, due, working) == duration
    assert business_time_between(start, due - timedelta(microseconds=1), working) < duration  # the earliest such


@given(STARTS, DURATIONS, DURATIONS, WORKING)
def test_a_longer_duration_never_ends_earlier(start, one, other, working):
    shorter, longer = sorted([one, other])
    assert start <= add_business_time(start, shorter, working) <= add_business_time(start, longer, working)


@given(STARTS, DURATIONS, POSITIVE, WORKING)
def test_adding_in_two_steps_is_adding_the_sum(start, first, second, working):
    in_steps = add_business_time(add_business_time(start, first, working), second, working)
    assert in_steps == add_business_time(start, first + second, working)


@given(STARTS, DURATIONS, DURATIONS, WORKING)
def test_time_between_adds_up_over_a_midpoint(start, one, other, working):
    middle, end = start + min(one, other), start + max(one, other)
    whole = business_time_between(start, end, working)
    assert whole == business_time_between(start, middle, working) + business_time_between(middle, end, working)


# Validating a calendar's working hours


@pytest.mark.parametrize(
    "hours",
    [
        {},
        WEEKDAYS_9_TO_5,
        SPLIT_SHIFTS,
        {"mon": [["09:00", "12:00"], ["12:00", "17:00"]]},
        {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]},
    ],
)
def test_it_accepts_well_formed_working_hours(hours):
    validate_working_hours(hours)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("09:00-17:00", "must map weekdays"),
        ({"monday": []}, "'monday' is not a weekday"),
        ({"mon": "09:00-17:00"}, "mon: expected a list"),
        ({"mon": [["09:00"]]}, "is not an interval"),
        ({"mon": [["9:00", "17:00"]]}, "'9:00' is not a time"),
        ({"mon": [["09:00", "24:30"]]}, "'24:30' is not a time"),
        ({"mon": [["24:00", "24:00"]]}, "'24:00' is not a time"),
        ({"mon": [["17:00", "09:00"]]}, "must open before it closes"),
        ({"mon": [["13:00", "17:00"], ["09:00", "12:00"]]}, "in order of opening time"),
        ({"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "overlaps"),
    ],
)
def test_it_explains_malformed_working_hours(hours, message):
    with pytest.raises(ValidationError, match=message):
        validate_working_hours(hours)


# A ticket's deadlines


@pytest.fixture
def london(db) -> Calendar:
    calendar = Calendar.objects.create(name="London office", time_zone="Europe/London", working_hours=WEEKDAYS_9_TO_5)
    Holiday.objects.create(calendar=calendar, date=date(2026, 5, 25), name="Spring bank holiday")
    return calendar


@pytest.fixture
def always_on(db) -> Calendar:
    calendar = Calendar.objects.create(name="Always on", is_24x7=True)
    Holiday.objects.create(calendar=calendar, date=date(2026, 1, 12), name="Ignored around the clock")
    return calendar


def _friday_ticket(desk, calendar: Calendar, severity=None) -> Ticket:
    """Opened on Friday 9 January 2026 at 16:00 London time, at the tier its severity routes to."""
    ticket = desk.open_ticket(severity=severity, created_at=at("2026-01-09 16:00"))
    ticket.tier.calendar = calendar
    ticket.tier.save()
    return ticket


@pytest.mark.django_db
def test_it_reads_a_calendar_with_its_holidays(london, always_on):
    assert WorkingTime.from_calendar(london) == WorkingTime(
        "business hours (London office)", LONDON, parse_working_hours(WEEKDAYS_9_TO_5), frozenset([date(2026, 5, 25)])
    )
    assert WorkingTime.from_calendar(always_on) == WorkingTime.around_the_clock("24×7 calendar (Always on)")


@pytest.mark.django_db
def test_it_refuses_a_calendar_saved_without_working_hours():
    closed = Calendar.objects.create(name="Closed", working_hours={})
    with pytest.raises(ValueError, match="business hours \\(Closed\\) has no working hours"):
        WorkingTime.from_calendar(closed)


@pytest.mark.django_db
def test_it_gives_a_ticket_business_hour_deadlines_with_their_rules(desk, london):
    deadlines = ticket_deadlines(_friday_ticket(desk, london), now=at("2026-01-09 16:00"))
    assert deadlines.first_response_due == at("2026-01-12 12:00")
    assert deadlines.resolution_due == at("2026-01-14 16:00")  # 24h: 1 on Friday, 8 Monday, 8 Tuesday, 7 Wednesday
    assert deadlines.escalation_due == at("2026-01-14 10:00")  # 75% of 24h = 18h
    assert deadlines.first_response_rule == "L1 first response 4h, business hours (London office)"
    assert deadlines.resolution_rule == "L1 resolution 24h, business hours (London office)"
    assert deadlines.escalation_rule == "L1 escalates at 75% of resolution 24h, business hours (London office)"


@pytest.mark.django_db
def test_it_names_the_tier_of_a_routed_ticket_in_its_rule(desk, london):
    deadlines = ticket_deadlines(_friday_ticket(desk, london, severity=desk.p2))
    assert deadlines.first_response_rule == "L2 first response 2h, business hours (London office)"
    assert deadlines.first_response_due == at("2026-01-12 10:00")


@pytest.mark.django_db
def test_a_ticket_without_a_calendar_runs_around_the_clock(desk):
    ticket = desk.open_ticket(created_at=at("2026-01-09 16:00"))
    deadlines = ticket_deadlines(ticket)
    assert deadlines.first_response_due == ticket.created_at + 4 * H
    assert deadlines.first_response_rule == "L1 first response 4h, around the clock"


@pytest.mark.django_db
def test_the_severity_calendar_overrides_the_tier_calendar(desk, london, always_on):
    desk.p0.calendar = always_on
    desk.p0.save()
    ticket = _friday_ticket(desk, london, severity=desk.p0)
    deadlines = ticket_deadlines(ticket)
    assert deadlines.first_response_due == ticket.created_at + H
    assert deadlines.resolution_due == ticket.created_at + 4 * H
    assert deadlines.first_response_rule == "L3 first response 1h, P0 24×7 calendar (Always on)"


@pytest.mark.django_db
def test_a_pause_moves_resolution_and_escalation_but_not_first_response(desk, london):
    ticket = _friday_ticket(desk, london)
    ticket.paused_for = 2 * H
    deadlines = ticket_deadlines(ticket)
    assert deadlines.first_response_due == at("2026-01-12 12:00")
    assert deadlines.resolution_due == at("2026-01-15 10:00")
    assert deadlines.escalation_due == at("2026-01-14 12:00")
    assert deadlines.resolution_rule == "L1 resolution 24h, business hours (London office), +2h waiting on customer"


@pytest.mark.django_db
def test_a_current_pause_counts_the_business_time_until_now(desk, london):
    ticket = _friday_ticket(desk, london)
    ticket.paused_for, ticket.paused_at = H, at("2026-01-12 15:00")
    deadlines = ticket_deadlines(ticket, now=at("2026-01-13 10:00"))  # 2h on Monday, 1h on Tuesday
    assert deadlines.resolution_due == at("2026-01-15 12:00")  # 4h later than unpaused


@pytest.mark.django_db
def test_a_tier_that_does_not_pause_on_waiting_keeps_its_deadlines(desk, london):
    ticket = _friday_ticket(desk, london)
    ticket.tier.pause_on_waiting = False
    ticket.paused_for, ticket.paused_at = H, at("2026-01-12 15:00")
    deadlines = ticket_deadlines(ticket, now=at("2026-01-13 10:00"))
    assert deadlines.resolution_due == at("2026-01-14 16:00")
    assert "waiting" not in deadlines.resolution_rule


@pytest.mark.django_db
def test_reopening_does_not_reset_the_clock(desk, london):
    ticket = _friday_ticket(desk, london)
    before = ticket_deadlines(ticket, now=at("2026-01-09 16:00"))
    ticket = services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    ticket = services.ticket_acknowledge(ticket=ticket, by=desk.l1_agent)
    ticket = services.ticket_resolve(ticket=ticket, by=desk.l1_agent, reason="Rotated the IdP certificate")
    ticket = services.ticket_reopen(ticket=ticket, by=desk.l1_agent, reason="Customer still sees failures")
    assert ticket_deadlines(ticket, now=at("2026-01-09 16:00")) == before


@pytest.mark.django_db
def test_an_assigned_ticket_owes_an_acknowledgement_in_real_time(desk, london):
    ticket = services.ticket_assign(ticket=_friday_ticket(desk, london), by=desk.manager, owner=desk.l1_agent)
    ticket.assigned_at = at("2026-01-09 16:55")
    deadlines = ticket_deadlines(ticket)
    assert deadlines.acknowledgement_due == at("2026-01-09 17:10")  # after closing: no one may sit on it overnight
    assert deadlines.acknowledgement_rule == "L1 acknowledgement 15m, real time"


@pytest.mark.django_db
def test_the_severity_acknowledgement_timeout_overrides_the_tier(desk):
    desk.p0.acknowledgement_timeout = timedelta(minutes=5)
    desk.p0.save()
    ticket = services.ticket_assign(ticket=desk.open_ticket(desk.p0), by=desk.manager, owner=desk.l3_engineer)
    deadlines = ticket_deadlines(ticket)
    assert deadlines.acknowledgement_due == ticket.assigned_at + timedelta(minutes=5)
    assert deadlines.acknowledgement_rule == "P0 acknowledgement 5m, real time"


@pytest.mark.django_db
def test_an_acknowledged_ticket_owes_no_acknowledgement(desk):
    deadlines = ticket_deadlines(desk.working_at_l1())
    assert (deadlines.acknowledgement_due, deadlines.acknowledgement_rule) == (None, "")


@pytest.mark.django_db
def test_the_ticket_stores_the_business_hours_deadlines(desk, london):
    with time_machine.travel(at("2026-01-09 16:00"), tick=False):
        ticket = services.ticket_assign(ticket=_friday_ticket(desk, london), by=desk.manager, owner=desk.l1_agent)
    deadlines = ticket_deadlines(ticket)
    clock.deadlines_recompute(reason="calendar attached", tickets=Ticket.objects.filter(pk=ticket.pk))
    ticket.refresh_from_db()
    assert (ticket.first_response_due, ticket.resolution_due) == (at("2026-01-12 12:00"), at("2026-01-14 16:00"))
    assert (ticket.escalation_due, ticket.acknowledgement_due) == (
        deadlines.escalation_due,
        deadlines.acknowledgement_due,
    )


@pytest.mark.django_db
def test_it_computes_deadlines_without_queries_given_the_working_time(desk, london, django_assert_num_queries):
    ticket = _friday_ticket(desk, london)
    working = working_time_for(ticket)
    with django_assert_num_queries(0):
        assert ticket_deadlines(ticket, working=working).first_response_due == at("2026-01-12 12:00")


def _friday_ticket_in_london_hours(desk, london) -> Ticket:
    desk.l1.calendar = london
    desk.l1.save()
    return desk.open_ticket(created_at=at("2026-01-09 16:00"))  # L1: first response within 4 working hours


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now, state",
    [
        ("2026-01-10 12:00", "ok"),  # Saturday: 1 of the 4 working hours gone, though most of the real time is
        ("2026-01-12 10:00", "ok"),  # Monday: 2 of 4 working hours gone (real time: 66 of 68 hours)
        ("2026-01-12 11:30", "at_risk"),  # 3.5 of 4: past the tier's 75 %
        ("2026-01-12 12:01", "breached"),
    ],
)
def test_at_risk_counts_the_calendars_working_hours_like_the_deadline(desk, london, now, state):
    ticket = _friday_ticket_in_london_hours(desk, london)
    assert ticket.first_response_due == at("2026-01-12 12:00")
    assert ticket.sla_state(at(now)) == state


@pytest.mark.django_db
def test_a_queue_row_tells_its_state_without_reading_its_calendar(desk, london, django_assert_num_queries):
    ticket = _friday_ticket_in_london_hours(desk, london)
    row = Ticket.objects.select_related("tier", "severity").get(pk=ticket.pk)
    with django_assert_num_queries(0):
        assert row.sla_state(at("2026-01-12 11:30")) == "at_risk"


@pytest.mark.django_db
def test_a_ticket_saved_before_the_risk_points_were_stored_still_tells_its_state(desk, london):
    ticket = _friday_ticket_in_london_hours(desk, london)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_risk_due=None, resolution_risk_due=None)
    legacy = Ticket.objects.get(pk=ticket.pk)
    assert [legacy.sla_state(at(now)) for now in ("2026-01-12 10:00", "2026-01-12 11:30")] == ["ok", "at_risk"]


@pytest.mark.django_db
def test_an_acknowledgement_turns_at_risk_in_real_time(desk, london):
    ticket = _friday_ticket_in_london_hours(desk, london)
    with time_machine.travel(at("2026-01-10 12:00"), tick=False):
        assigned = services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    assert assigned.acknowledgement_due == at("2026-01-10 12:15")
    assert [assigned.sla_state(at(now)) for now in ("2026-01-10 12:10", "2026-01-10 12:12")] == ["ok", "at_risk"]


@pytest.mark.django_db
@pytest.mark.parametrize("tickets", [2, 6])
def test_recomputing_reads_each_calendar_once_not_once_per_ticket(desk, london, tickets):
    opened = [desk.open_ticket(created_at=at("2026-01-09 16:00")) for _ in range(tickets)]
    desk.l1.calendar = london
    desk.l1.save()
    with CaptureQueriesContext(connection) as queries:
        moved = clock.deadlines_recompute(reason="calendar attached", tickets=Ticket.objects.all())
    assert moved == len(opened)
    holiday_reads = [query for query in queries.captured_queries if "escalations_holiday" in query["sql"]]
    assert len(holiday_reads) == 1
    writes_per_ticket = 4  # the ticket, its history row, its desk event and that event's receipt
    assert len(queries) <= 18 + writes_per_ticket * tickets


def _without_risk_points(*tickets: Ticket) -> None:
    """As a ticket saved before the risk columns came."""
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(first_response_risk_due=None, resolution_risk_due=None)


RISK_POINTS_MIGRATION = import_module("escalations.migrations.0019_store_open_tickets_risk_points")


def _store_risk_points_migration() -> None:
    RISK_POINTS_MIGRATION.store_open_tickets_risk_points(apps, SimpleNamespace(connection=connection))


def _risk_points(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.first_response_risk_due, ticket.resolution_risk_due


@pytest.mark.django_db
def test_the_migration_stores_the_risk_points_of_open_tickets_around_the_clock(desk, monkeypatch):
    created = at("2026-01-09 16:00")
    working, waiting, resolved = (desk.open_ticket(created_at=created) for _ in range(3))
    stored = _risk_points(working)
    Ticket.objects.filter(pk=waiting.pk).update(
        status="waiting_on_customer", paused_for=timedelta(hours=1), paused_at=at("2026-01-09 20:00")
    )
    Ticket.objects.filter(pk=resolved.pk).update(status="resolved")
    _without_risk_points(working, waiting, resolved)
    monkeypatch.setattr(RISK_POINTS_MIGRATION, "BATCH", 1)  # each open ticket in a batch of its own
    with time_machine.travel(at("2026-01-09 22:00"), tick=False):
        _store_risk_points_migration()
    # L1: 75 % of a 4-hour first response is 3 hours; 75 % of 24 hours to resolve is 18, plus the time spent waiting
    assert _risk_points(working) == stored == (at("2026-01-09 19:00"), at("2026-01-10 10:00"))
    assert _risk_points(waiting) == (at("2026-01-09 19:00"), at("2026-01-10 13:00"))  # + 1 h before, 2 h now
    assert _risk_points(resolved) == (None, None)


@pytest.mark.django_db
def test_the_migration_leaves_a_business_hours_ticket_to_compute_its_risk_points_when_asked(desk, london):
    ticket = _friday_ticket_in_london_hours(desk, london)
    _without_risk_points(ticket)
    _store_risk_points_migration()
    assert _risk_points(ticket) == (None, None)
    assert ticket.sla_state(at("2026-01-12 10:59")) == "ok"
    assert ticket.sla_state(at("2026-01-12 11:00")) == "at_risk"  # 3 of L1's 4 working hours: Friday 1, Monday 2
