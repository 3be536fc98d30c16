"""A report table is declared once, as a TableSpec of columns, and built from a selector's rows; the built Table is
drawn three ways: as HTML, as CSV (the same cells, their figures raw) and as a chart's data.
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify

from reporting.figures import Cell, Figure, as_text

Row = Any  # one row of a selector: a dict, or a model instance
Links = Callable[..., str]  # reporting.reports.links.Links: (metric, **dimensions) → the URL of the tickets behind


def read(row: Row, value: str | Callable[[Row], Any]) -> Any:
    """A figure of a row: a dict's key (missing: None), a model's attribute, or worked out by a function."""
    if callable(value):
        return value(row)
    return row.get(value) if isinstance(row, dict) else getattr(row, value)


@dataclass(frozen=True)
class Column:
    """One column: its header, how its figure reads, where the figure is in a row, and the tickets behind it."""

    label: str
    figure: Figure
    value: str | Callable[[Row], Any]  # the row's key (or attribute), or how to work the figure out from the row
    link: Callable[[Row, Links], str] | None = None
    charted: bool = False  # drawn in the table's chart, against the first column as labels

    def cell(self, row: Row, links: Links) -> Cell:
        return self.figure.cell(read(row, self.value), self.link(row, links) if self.link else "")


@dataclass(frozen=True)
class Chart:
    kind: str  # Chart.js type: line, bar
    columns: tuple[int, ...]  # which columns are drawn, against column 0 as labels
    stacked: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A report table as data: what it is called and means, and its columns."""

    key: str
    title: str
    definition: str
    columns: tuple[Column, ...]
    chart: str = ""  # the Chart.js type drawing the charted columns; "": no chart
    note: str = ""

    def build(self, rows: Iterable[Row], links: Links) -> "Table":
        drawn = tuple(index for index, column in enumerate(self.columns) if column.charted)
        return Table(
            self.key,
            self.title,
            [column.label for column in self.columns],
            self.definition,
            rows=[[column.cell(row, links) for column in self.columns] for row in rows],
            chart=Chart(self.chart, drawn) if self.chart else None,
            note=self.note,
        )


def _unit(cells: Iterable[Cell]) -> str | None:
    """The one unit of these cells' figures: "" when they have none, None when they mix units."""
    units = {cell.unit for cell in cells if cell.unit}
    if len(units) > 1:
        return None
    return units.pop() if units else ""


def _with_unit(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit and f"({unit})" not in name else name


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
