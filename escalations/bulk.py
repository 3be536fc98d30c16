"""Many rows written by one statement run for each (executemany), for the ticket write path's batches.

Django's bulk_create and bulk_update spend most of their time building SQL in Python (bulk_update a CASE per
column and row): a sweep writing thousands of rows has no time for that. These write the values Django would
(each field's pre_save and get_db_prep_save) but return no primary keys, so use them for rows nobody reads back.
"""

from django.db import connection
from django.db.models import Field, Model


def insert_rows(rows: list[Model], *, with_pk: bool = False) -> None:
    """Insert the rows; `with_pk`: with the primary keys they were given (the caller resets the sequence)."""
    if not rows:
        return
    model = type(rows[0])
    columns = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    _run_for_each(
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})",
        [[field.get_db_prep_save(field.pre_save(row, True), connection) for field in columns] for row in rows],
    )


def update_rows(rows: list[Model], names: list[str], *, unless_changed: Field) -> int:
    """Write the named fields of each row whose `unless_changed` column still holds the row's value; returns how
    many rows were written. Each field's pre_save runs, so auto_now fields named here are stamped."""
    if not rows:
        return 0
    meta = rows[0]._meta
    columns = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    guards = [unless_changed.get_db_prep_save(getattr(row, unless_changed.attname), connection) for row in rows]
    values = [[field.get_db_prep_save(field.pre_save(row, False), connection) for field in columns] for row in rows]
    return _run_for_each(
        f"UPDATE {quote(meta.db_table)} SET {assignments} "
        f"WHERE {quote(meta.pk.column)} = %s AND {quote(unless_changed.column)} = %s",
        [[*row_values, row.pk, guard] for row_values, row, guard in zip(values, rows, guards, strict=True)],
    )


def _run_for_each(sql: str, params: list[list]) -> int:
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount
