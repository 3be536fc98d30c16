"""A report table is built once and drawn three ways: as HTML, as CSV (the same cells) and as a chart's data.

The page shows a cell's text ("46.2%", "2h 05m"); a chart and the CSV take its figure (46.2, 125.0) and the CSV
names the figure's unit once, in the column's header ("Median (minutes)").
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.http import HttpResponse
from django.utils.text import slugify

NOTHING = "—"  # a figure with nothing to measure (no acknowledgement, no ticket to divide by)
PERCENT, MINUTES, USD = "%", "minutes", "USD"
# A spreadsheet runs a cell starting with one of these as a formula: OWASP's "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(text: str) -> str:
    """Text a spreadsheet keeps as text: one that starts like a formula gets a leading quote (OWASP's rule)."""
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


def _unit(cells: Iterable[Cell]) -> str | None:
    """The one unit of these cells' figures: "" when they have none, None when they mix units."""
    units = {cell.unit for cell in cells if cell.unit}
    if len(units) > 1:
        return None
    return units.pop() if units else ""


def _with_unit(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit and f"({unit})" not in name else name


@dataclass(frozen=True)
class Chart:
    kind: str  # Chart.js type: line, bar
    columns: tuple[int, ...]  # which columns are drawn, against column 0 as labels
    stacked: bool = False


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    definition: str
    rows: list[list[Cell]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""
    footnotes: list[tuple[str, str]] = field(default_factory=list)

    def add(self, *cells: Cell | str) -> None:
        self.rows.append([cell if isinstance(cell, Cell) else Cell(str(cell)) for cell in cells])

    def chart_data(self) -> dict | None:
        """What static/js/reports.js draws: labels and one dataset per drawn column."""
        if not self.chart or not self.rows:
            return None
        return {
            "type": self.chart.kind,
            "stacked": self.chart.stacked,
            "labels": [row[0].text for row in self.rows],
            "datasets": [
                {"label": self.columns[index], "data": [row[index].value for row in self.rows]}
                for index in self.chart.columns
            ],
        }

    def csv_rows(self) -> list[list[str | float]]:
        """The header and the rows' figures; each unit is named in its column's header or, in a column mixing
        units (the overview's one KPI per row), after the row's label."""
        units = [_unit(row[index] for row in self.rows) for index in range(len(self.columns))]
        rows = [[as_text(_with_unit(name, unit)) for name, unit in zip(self.columns, units, strict=True)]]
        for row in self.rows:
            mixed = _unit(cell for cell, unit in zip(row, units, strict=True) if unit is None)
            label = as_text(_with_unit(row[0].text, mixed)) if mixed else row[0].raw
            rows.append([label, *(cell.raw for cell in row[1:])])
        return rows

    def csv_response(self) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(self.title)}.csv"'
        csv.writer(response).writerows(self.csv_rows())
        return response


def count(value: int | None, link: str = "") -> Cell:
    value = value or 0
    return Cell(f"{value}", link, value)


def percent(part: int | None, whole: int | None, link: str = "") -> Cell:
    """part ÷ whole as a percentage; "—" when there is nothing to divide by."""
    if not whole:
        return Cell(NOTHING, link, unit=PERCENT)
    share = 100 * (part or 0) / whole
    return Cell(f"{share:.1f}%", link, round(share, 1), PERCENT)


def duration(seconds: float | None, link: str = "") -> Cell:
    """A duration as people say it (3d 4h, 2h 05m, 12m 30s); charts and the CSV get minutes."""
    if seconds is None:
        return Cell(NOTHING, link, unit=MINUTES)
    return Cell(human_duration(seconds), link, in_minutes(seconds), MINUTES)


def in_minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def money(amount: int) -> Cell:
    return Cell(f"{amount:,}", value=amount, unit=USD)


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
