"""Business-hours calendars: SLA durations count only the time a team is working ("4 hours, business hours")."""

from functools import cached_property
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from escalations.domain.business_time import WEEKDAYS, WorkingTime, validate_working_hours


def validate_time_zone(name: str) -> None:
    if name not in available_timezones():
        raise ValidationError(f"{name!r} is not a time zone (e.g. Europe/London, America/New_York).")


def default_working_hours() -> dict:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]} | {day: [] for day in WEEKDAYS[5:]}


class Calendar(models.Model):
    """When a team works: opening hours per weekday in a time zone, minus holidays. 24×7 counts every minute."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_24x7 = models.BooleanField("24×7", default=False)
    working_hours = models.JSONField(
        default=default_working_hours,
        blank=True,
        validators=[validate_working_hours],
        help_text='Per weekday, a list of ["HH:MM", "HH:MM"] intervals, e.g. {"mon": [["09:00", "17:00"]]}.',
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.is_24x7 and not any((self.working_hours or {}).values()):
            raise ValidationError(
                {"working_hours": "A calendar that is not 24×7 needs working hours on at least one weekday."}
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def working_time(self) -> WorkingTime:
        """Read once per loaded calendar (prefetch `holidays` to share that query): a sweep reuses it per ticket."""
        return WorkingTime.from_calendar(self)


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"
