"""Bulk writes cheaper than the ORM's on SQLite (the embedded default).

On SQLite one prepared statement run with executemany is several times cheaper than
bulk_create's or bulk_update's multi-row SQL (which Django builds value by value); other
databases keep the ORM's bulk methods (one round trip per batch).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Field, Model

BATCH = 500
# Field types whose SQLite value is the Python value itself when it has exactly these types
# (Django's own conversion then returns it unchanged, at some microseconds a value).
_AS_IS: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("CharField", "TextField", "SlugField", "EmailField", "URLField"), (str,)),
    **dict.fromkeys((
        "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
        "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField",
        "SmallAutoField",
    ), (int,)),
    "BooleanField": (bool,),
    "FloatField": (float, int),
}


def _sqlite_value(field: Field, connection: Any) -> Callable[[Any], Any]:
    """`field.get_db_prep_save(value, connection)` for SQLite, with shortcuts for the values
    bulk writes mostly carry: plain strings and numbers, UUIDs, and UTC datetimes (stored as
    Django stores them: naive UTC text, UUIDs as hex). Anything else goes through Django."""

    def django(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    kind = (field.target_field if field.is_relation else field).get_internal_type()
    plain = _AS_IS.get(kind)
    if plain is not None:
        return lambda value: value if value is None or type(value) in plain else django(value)
    if kind == "UUIDField":
        return lambda value: value.hex if type(value) is uuid.UUID else django(value)
    if kind == "DateTimeField" and settings.USE_TZ and connection.timezone_name == "UTC":
        return lambda value: (
            str(value.replace(tzinfo=None))
            if type(value) is datetime and value.tzinfo is UTC else django(value)
        )
    return django


def _insert_statement(model: type[Model], connection: Any) -> tuple[list[Any], str]:
    """The fields an INSERT sets (all but a database-generated key) and its SQL."""
    meta, quote = model._meta, connection.ops.quote_name
    fields = [
        field for field in meta.local_concrete_fields
        if not (field.primary_key and getattr(field, "db_returning", False))
    ]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return fields, sql


def insert_many(objects: Sequence[Model]) -> None:
    """`bulk_create(objects)` without setting their primary keys (field defaults and
    pre_save hooks, e.g. auto_now_add, apply as there)."""
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        return
    fields, sql = _insert_statement(model, connection)
    columns = [(field, _sqlite_value(field, connection)) for field in fields]
    rows = [tuple(to_db(field.pre_save(obj, True)) for field, to_db in columns) for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def insert_values(
    model: type[Model], rows: Sequence[dict[str, Any]], *, json_text: Collection[str] = ()
) -> None:
    """Insert rows given as {field attname: value}, where the fields named in `json_text`
    hold JSON already serialised (or None). Missing fields take their defaults; no pre_save
    hook runs, so auto_now fields must be given. On SQLite no model instance is built and no
    JSON is serialised twice: a third of the cost of `insert_many` for rows of small JSON
    documents (per-item execution logs)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        insert_many([
            model(**{
                name: json.loads(value) if name in json_text and value is not None else value
                for name, value in row.items()
            })
            for row in rows
        ])
        return
    fields, sql = _insert_statement(model, connection)
    columns = [
        (field, field.attname, field.attname in json_text, _sqlite_value(field, connection))
        for field in fields
    ]
    values = [
        tuple(
            row.get(name) if is_json
            else to_db(row[name] if name in row else field.get_default())
            for field, name, is_json, to_db in columns
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def update_many(objects: Sequence[Model], field_names: Sequence[str]) -> None:
    """`bulk_update(objects, field_names)`: each object's values of those fields (set by
    the caller, auto_now included) saved by primary key."""
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        model._default_manager.bulk_update(objects, list(field_names), batch_size=BATCH)
        return
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in field_names]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        f"{', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    columns = [(field.attname, _sqlite_value(field, connection)) for field in fields]
    rows = [
        (*(to_db(getattr(obj, name)) for name, to_db in columns), obj.pk)
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
