"""How a figure reads: its text on the page ("46.2%", "2h 05m"), its number for a chart and the CSV (46.2, 125.0)
and that number's unit, which the CSV names once in the column's header ("Median (minutes)").
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

NOTHING = "—"  # a figure with nothing to measure (no acknowledgement, no ticket to divide by)
PERCENT, MINUTES, USD = "%", "minutes", "USD"
# A spreadsheet runs a cell starting with one of these as a formula, even in a downloaded CSV.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(text: str) -> str:
    """Text a spreadsheet keeps as text: one that starts like a formula gets a leading quote."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Cell:
    text: str
    link: str = ""  # the tickets behind the figure
    value: float | None = None  # the figure: what a chart draws and the CSV holds; None: text only
    unit: str = ""  # the figure's unit, for the CSV header

    @property
    def raw(self) -> str | float:
        """The cell in a CSV: the figure as a number, nothing as an empty cell, any other text as text."""
        if self.value is not None:
            return self.value
        return "" if self.text == NOTHING else as_text(self.text)


def _sign(delta: float) -> str:
    return "+" if delta >= 0 else "−"


class Text:
    """A name or a label: text only, nothing to chart."""

    def cell(self, value, link: str = "") -> Cell:
        return Cell(NOTHING if value is None else str(value), link)


class Count:
    """A number of tickets, escalations…: none counted is 0."""

    def cell(self, value: int | None, link: str = "") -> Cell:
        value = value or 0
        return Cell(f"{value}", link, value)

    def change(self, now: int | None, before: int | None) -> Cell:
        delta = (now or 0) - (before or 0)
        return Cell(f"{delta:+g}", value=delta)


class Percent:
    """A share out of 100 (see `rate`); a change between two is in percentage points of the figures shown."""

    def cell(self, share: float | None, link: str = "") -> Cell:
        if share is None:
            return Cell(NOTHING, link, unit=PERCENT)
        return Cell(f"{share:.1f}%", link, round(share, 1), PERCENT)

    def change(self, now: float | None, before: float | None) -> Cell:
        if now is None or before is None:
            return Cell(NOTHING, unit=PERCENT)
        delta = round(now, 1) - round(before, 1)
        return Cell(f"{_sign(delta)}{abs(delta):.1f} pts".replace(".0 ", " "), value=round(delta, 1), unit=PERCENT)


class Duration:
    """Seconds, shown as people say them (3d 4h, 2h 05m, 12m 30s); charts and the CSV get minutes."""

    def cell(self, seconds: float | None, link: str = "") -> Cell:
        if seconds is None:
            return Cell(NOTHING, link, unit=MINUTES)
        return Cell(human_duration(seconds), link, in_minutes(seconds), MINUTES)

    def change(self, now: float | None, before: float | None) -> Cell:
        if now is None or before is None:
            return Cell(NOTHING, unit=MINUTES)
        delta = now - before
        return Cell(_sign(delta) + human_duration(abs(delta)), value=in_minutes(delta), unit=MINUTES)


class Money:
    """Whole US dollars, with thousands separators on the page."""

    def cell(self, amount: int, link: str = "") -> Cell:
        return Cell(f"{amount:,}", link, amount, USD)


TEXT, COUNT, PERCENTAGE, DURATION, MONEY = Text(), Count(), Percent(), Duration(), Money()
Figure = Text | Count | Percent | Duration | Money


def rate(part: str, *whole: str) -> Callable[[dict], float | None]:
    """A row's `part` as a share of the sum of its `whole` figures; None when there is nothing to divide by."""

    def share(row: dict) -> float | None:
        total = sum(row.get(name) or 0 for name in whole)
        return 100 * (row.get(part) or 0) / total if total else None

    return share


def in_minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def human_duration(seconds: float) -> str:
    rounded = round(seconds)
    delta = timedelta(seconds=abs(rounded))
    days, rest = delta.days, delta.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if rounded < 0 else ""
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"
