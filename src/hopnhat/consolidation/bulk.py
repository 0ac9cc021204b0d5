"""Bulk writes for the engine and the importers' batch paths, without a model instance per row.

On PostgreSQL rows go in with COPY (ids drawn from the table's sequence when the caller needs them, upserts
through a temporary table and one INSERT … ON CONFLICT); elsewhere (SQLite) through Django's bulk_create, so
both databases take the same calls. Rows are tuples in the order of the `fields` given, by model field name
(`person_id` for a foreign key); a JSON field takes a Python value, or `RawJson` when the text is already
serialised (the engine's canonical JSON of a record, written once and hashed once).
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

_JSON = (models.JSONField,)


class RawJson(str):
    """JSON text already serialised; `value` is what it encodes (for databases that take objects)."""

    def __new__(cls, text: str, value: Any):
        obj = super().__new__(cls, text)
        obj.value = value
        return obj


def dumps(value: Any) -> str:
    """JSON text of a small value (details, cursors): orjson when it can, the standard library otherwise."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def pg_cursor():
    """A server-binding psycopg cursor on Django's connection (inside its transaction): array parameters go
    over as one value instead of being quoted into the SQL text. Pass large arrays as %b (binary): psycopg
    writes a text array element by element in Python, ten times slower (12 ms for 2,000 keys, against 2).
    A statement run once per batch is worth `execute(..., prepare=True)`: parsed and planned once per
    connection instead of every time (Django's own connections never prepare)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _columns(model: type[models.Model], fields: Sequence[str]) -> tuple[list[str], list[bool]]:
    columns, is_json = [], []
    for name in fields:
        f = model._meta.get_field(name[:-3] if name.endswith("_id") and name != "id" else name)
        columns.append(f.column)
        is_json.append(isinstance(f, _JSON))
    return columns, is_json


def _pg_value(value: Any, json_field: bool) -> Any:
    if not json_field or value is None:
        return value
    return value if isinstance(value, RawJson) else dumps(value)


def _copy(table: str, columns: list[str], is_json: list[bool], rows: Iterable[Sequence[Any]], cursor) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    json_at = [i for i, j in enumerate(is_json) if j]  # only those columns are touched per row
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = _pg_value(row[i], True)
            copy.write_row(row)


def _instances(model, fields, rows):
    return [model(**{name: (v.value if isinstance(v, RawJson) else v) for name, v in zip(fields, row, strict=True)})
            for row in rows]


def next_ids(model: type[models.Model], n: int) -> list[int]:
    """n fresh primary keys from the table's sequence (PostgreSQL), in increasing order."""
    if n == 0:
        return []
    with pg_cursor() as cur:
        # The sequence's name is looked up once, not once per id as a call in the select list would be.
        cur.execute("SELECT nextval(s) FROM CAST(pg_get_serial_sequence(%s, %s) AS regclass) AS s, "
                    "generate_series(1, %s)", [model._meta.db_table, model._meta.pk.column, n], prepare=True)
        return sorted(row[0] for row in cur.fetchall())


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: list[Sequence[Any]], *,
                return_ids: bool = False) -> list[Any]:
    """Insert new rows (no conflict expected: a clash raises, as a plain INSERT would). With return_ids, the
    new primary keys in the order of `rows`."""
    if not rows:
        return []
    if not is_postgresql():
        made = model._default_manager.bulk_create(_instances(model, fields, rows), batch_size=500)
        return [obj.pk for obj in made] if return_ids else []
    columns, is_json = _columns(model, fields)
    ids: list[Any] = []
    if return_ids:
        ids = next_ids(model, len(rows))
        columns, is_json = [model._meta.pk.column, *columns], [False, *is_json]
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    with pg_cursor() as cur:
        _copy(model._meta.db_table, columns, is_json, rows, cur)
    return ids


def upsert_rows(model: type[models.Model], fields: Sequence[str], rows: list[Sequence[Any]], *,
                unique: Sequence[str], update: Sequence[str]) -> None:
    """Insert rows, or update `update` where a row with the same `unique` fields exists. Each unique tuple at
    most once in `rows`."""
    if not rows:
        return
    if not is_postgresql():
        model._default_manager.bulk_create(_instances(model, fields, rows), batch_size=500, update_conflicts=True,
                                           unique_fields=list(unique), update_fields=list(update))
        return
    columns, is_json = _columns(model, fields)
    table = model._meta.db_table
    temp = f"_hn_load_{table}"
    names = ", ".join(f'"{c}"' for c in columns)
    conflict = ", ".join(f'"{c}"' for c in _columns(model, unique)[0])
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in _columns(model, update)[0])
    with pg_cursor() as cur:
        # Created once per connection, emptied at every commit; gone with a rolled-back transaction, hence IF NOT.
        cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" AS SELECT {names} FROM "{table}" '  # noqa: S608
                    "WITH NO DATA")
        cur.execute(f'TRUNCATE "{temp}"')
        _copy(temp, columns, is_json, rows, cur)
        cur.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{temp}" '  # noqa: S608 — our names
                    f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}")


def insert_or_upsert_rows(model: type[models.Model], fields: Sequence[str], rows: list[Sequence[Any]], *,
                          unique: Sequence[str], update: Sequence[str]) -> None:
    """upsert_rows for rows that are nearly always new (PostgreSQL): a plain COPY, without the temporary table
    and the conflict check; should one of them clash with a row already there after all, the COPY is undone
    (a savepoint) and the rows go through upsert_rows."""
    if not rows:
        return
    if not is_postgresql():
        upsert_rows(model, fields, rows, unique=unique, update=update)
        return
    import psycopg

    try:
        with transaction.atomic():
            insert_rows(model, fields, rows)
    except psycopg.errors.UniqueViolation:
        upsert_rows(model, fields, rows, unique=unique, update=update)
