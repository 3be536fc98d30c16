"""Durations and percentiles computed by the database, the same on SQLite and PostgreSQL.

PostgreSQL has percentile_cont; SQLite has none, so there each group's values are ranked with ROW_NUMBER and
the two ranks around the wanted position are interpolated, which is exactly percentile_cont's definition.
"""

from collections.abc import Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import DateField, FloatField, Func, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

PERCENTILES = (0.5, 0.9)


class Seconds(Func):
    """Seconds from `start` to `end` (two datetime expressions) as a float."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )


def _quoted(names: Sequence[str]) -> list[str]:
    return [connection.ops.quote_name(name) for name in names]


def _percentiles_sql(source: str, group_by: Sequence[str], value: str) -> str:
    """SELECT the group columns, the count, the median and the p90 of `value` over `source`, per group."""
    groups = _quoted(group_by)
    column = connection.ops.quote_name(value)
    select_groups = "".join(f"{g}, " for g in groups)
    group_clause = f" GROUP BY {', '.join(groups)}" if groups else ""
    if connection.vendor == "postgresql":
        measures = ", ".join(f"percentile_cont({p}) WITHIN GROUP (ORDER BY {column})" for p in PERCENTILES)
        return (
            f"SELECT {select_groups}COUNT({column}), {measures} FROM {source} WHERE {column} IS NOT NULL{group_clause}"
        )
    partition = f"PARTITION BY {', '.join(groups)} " if groups else ""
    ranked = (
        f"SELECT {select_groups}{column} AS v, ROW_NUMBER() OVER ({partition}ORDER BY {column}) AS rn, "
        f"COUNT(*) OVER ({partition.strip()}) AS n FROM {source} WHERE {column} IS NOT NULL"
    )
    measures = ", ".join(_interpolated(p) for p in PERCENTILES)
    needed = ", ".join(f"{_rank(p)}, {_rank(p)} + 1" for p in PERCENTILES)  # only the ranks interpolated
    return f"SELECT {select_groups}MAX(n), {measures} FROM ({ranked}) AS r WHERE rn IN ({needed}){group_clause}"


# Percentiles sort 10⁵ durations: on PostgreSQL they get the memory for it (their transaction only), not a disk sort.
REPORT_WORK_MEM = "64MB"


def _rows(sql: str, params: Sequence, names: Sequence[str]) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _fetch(sql: str, params: Sequence, names: Sequence[str]) -> list[dict]:
    if connection.vendor != "postgresql":
        return _rows(sql, params, names)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        return _rows(sql, params, names)


def compiled(rows: QuerySet) -> tuple[str, tuple] | None:
    """The SQL and parameters of a queryset, or None when it can match no row.

    Django writes no SQL for a filter on an empty set (`tier__team__in=()`: a reader in no team) and raises
    EmptyResultSet; its own querysets answer [] without asking the database, and the raw queries here do the same.
    """
    try:
        return rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return None


def percentile_rows(rows: QuerySet, *, value: str, group_by: Sequence[str] = ()) -> list[dict]:
    """Count, median and p90 of `value` per group, over the rows of a values() queryset, in one query.

    Returns dicts with the group columns, `count`, `median` and `p90`.
    """
    query = compiled(rows)
    if query is None:
        return []
    inner, params = query
    sql = _percentiles_sql(f"({inner}) AS d", group_by, value)
    return _fetch(sql, params, [*group_by, "count", "median", "p90"])


def percentiles_by(rows: QuerySet, *, value: str, columns: Sequence[str]) -> dict[str, list[dict]]:
    """percentile_rows grouped by each of `columns` in turn, over rows computed once (a materialized CTE).

    Returns, per column, dicts with `key` (the column's value), `count`, `median` and `p90`.
    """
    found: dict[str, list[dict]] = {column: [] for column in columns}
    query = compiled(rows)
    if query is None:
        return found
    inner, params = query
    branches = [
        f"SELECT {index} AS grouping, s{index}.* FROM ({_percentiles_sql('d', [column], value)}) AS s{index}"
        for index, column in enumerate(columns)
    ]
    sql = f"WITH d AS MATERIALIZED ({inner}) " + " UNION ALL ".join(branches)
    for row in _fetch(sql, params, ["grouping", "key", "count", "median", "p90"]):
        found[columns[row.pop("grouping")]].append(row)
    return found


def _rank(p: float) -> str:
    return f"CAST((1 + {p} * (n - 1)) AS INTEGER)"


def _interpolated(p: float) -> str:
    """percentile_cont(p) over ranked rows: the value at position 1 + p·(n − 1), interpolated between ranks."""
    position = f"(1 + {p} * (n - 1))"
    rank = _rank(p)
    low = f"MAX(CASE WHEN rn = {rank} THEN v END)"
    high = f"MAX(CASE WHEN rn = {rank} + 1 THEN v END)"
    fraction = f"MAX({position} - {rank})"
    return f"({low} + (COALESCE({high}, {low}) - {low}) * {fraction})"


def grouped_counts(rows: QuerySet, *, group_by: Sequence[str], around: str = "{rows}") -> list[tuple]:
    """COUNT(*) per group over rows the ORM cannot aggregate itself (a UNION); `around` may wrap them in SQL."""
    query = compiled(rows)
    if query is None:
        return []
    sql, params = query
    groups = ", ".join(_quoted(group_by))
    source = around.replace("{rows}", sql)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {groups}, COUNT(*) FROM ({source}) AS u GROUP BY {groups}", params)
        return cursor.fetchall()


class DayOrWeek(Func):
    """The day (or the Monday of the week) of a datetime, in the current time zone, as a date.

    On SQLite, Django truncates through a Python function called once per row (15× slower at 10⁵ rows); with
    the desk in UTC, which is how SQLite stores datetimes, SQLite's own date() gives the same answer.
    """

    output_field = DateField()

    def __init__(self, expression, *, week: bool = False, **extra):
        self.week = week
        super().__init__(expression, **extra)

    def _truncated(self):
        return (TruncWeek if self.week else TruncDate)(*self.get_source_expressions(), output_field=DateField())

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self._truncated())

    def as_sqlite(self, compiler, connection, **extra):
        if timezone.get_current_timezone_name() != "UTC":
            return self.as_sql(compiler, connection, **extra)
        template = "date(%(expressions)s, 'weekday 0', '-6 days')" if self.week else "date(%(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra)
