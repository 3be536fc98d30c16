"""A report table is built once and drawn three ways: as HTML, as CSV (the same cells) and as a chart's data."""

import csv
from dataclasses import dataclass, field
from datetime import timedelta

from django.http import HttpResponse
from django.utils.text import slugify


@dataclass(frozen=True)
class Cell:
    text: str
    link: str = ""  # the tickets behind the figure
    value: float | None = None  # what a chart draws; None: not drawn


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

    def csv_response(self) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(self.title)}.csv"'
        writer = csv.writer(response)
        writer.writerow(self.columns)
        writer.writerows([cell.text for cell in row] for row in self.rows)
        return response


def count(value: int | None, link: str = "") -> Cell:
    value = value or 0
    return Cell(f"{value}", link, value)


def percent(part: int | None, whole: int | None, link: str = "") -> Cell:
    """part ÷ whole as a percentage; "—" when there is nothing to divide by."""
    if not whole:
        return Cell("—", link)
    share = 100 * (part or 0) / whole
    return Cell(f"{share:.1f}%", link, round(share, 1))


def duration(seconds: float | None, link: str = "") -> Cell:
    """A duration as people say it (3d 4h, 2h 05m, 12m 30s); charts get minutes."""
    if seconds is None:
        return Cell("—", link)
    return Cell(human_duration(seconds), link, round(seconds / 60, 1))


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


def change(current: float | None, previous: float | None, unit: str = "") -> str:
    """How the current period differs from the previous one, e.g. "+2.5 pts" or "−3"."""
    if current is None or previous is None:
        return ""
    delta = current - previous
    return f"{'+' if delta >= 0 else '−'}{abs(delta):.1f}{unit}".replace(".0", "") if unit else f"{delta:+g}"
