"""Set-based reads and writes the batch services of every app share."""

import operator
from collections.abc import Iterable
from functools import reduce

from django.db import connections, router
from django.db.models import Model, Q
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def source_pairs_q(pairs: Iterable[tuple[str, str]], field: str) -> Q:
    """Rows whose `source` and `field` are one of the (source, value) pairs, with one IN per
    source. There must be at least one pair."""
    by_source: dict[str, list[str]] = {}
    for source, value in pairs:
        by_source.setdefault(source, []).append(value)
    return reduce(operator.or_, (Q(source=source, **{f"{field}__in": values})
                                 for source, values in by_source.items()))


def insert_new(objs: list[Model], *, key: tuple[str, ...]) -> list[Model]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the pk and the unique `key` fields: one
    statement per chunk and no savepoint. Sets the pk of each object this call inserted and
    returns them; an object whose key another transaction already holds keeps no pk (the
    INSERT waited for that transaction to commit, so a lookup finds its row now)."""
    if not objs:
        return []
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.primary_key]
    returning = [meta.pk, *(meta.get_field(name) for name in key)]
    using = router.db_for_write(model)
    inserted = []
    size = connections[using].ops.bulk_batch_size(fields, objs) or len(objs)
    pending = {tuple(getattr(obj, f.attname) for f in returning[1:]): obj for obj in objs}
    for start in range(0, len(objs), size):
        query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, objs[start:start + size])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning
        for sql, params in compiler.as_sql():
            with compiler.connection.cursor() as cursor:
                cursor.execute(sql, params)
                for pk, *values in cursor.fetchall():
                    obj = pending[tuple(values)]
                    obj.pk = pk
                    obj._state.adding, obj._state.db = False, using
                    inserted.append(obj)
    return inserted


def update_each(model: type[Model], rows: dict[int, dict], *, add: bool = False,
                **same) -> None:
    """UPDATE many rows in one statement: each row (by pk) takes its own values for the fields
    in `rows` (with `add`, adds them to what the row holds), and every row the `same` values.
    (Django's bulk_update, or an update with Case/When, writes a CASE branch per row and
    field, which costs more to build and to run than the UPDATE itself.)"""
    if not rows:
        return
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in next(iter(rows.values()))]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = [f"c{i}" for i in range(len(fields))]
    values = ", ".join([f"({', '.join(['%s'] * (len(fields) + 1))})"] * len(rows))
    params = [p for key, row in rows.items() for p in (
        key, *(f.get_db_prep_save(row[f.name], connection) for f in fields))]
    # PostgreSQL needs the VALUES typed; SQLite would turn a date into a number by casting it.
    typed = ("CAST(v.{name} AS {type})" if connection.vendor == "postgresql" else "v.{name}")
    sets = [f"{quote(f.column)} = {f'{quote(f.column)} + ' if add else ''}"
            f"(SELECT {typed.format(name=name, type=f.db_type(connection))} "
            f"FROM v WHERE v.id = {table}.{pk})" for f, name in zip(fields, names, strict=True)]
    for name, value in same.items():
        field = meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    sql = (f"WITH v(id, {', '.join(names)}) AS (VALUES {values}) UPDATE {table} "
           f"SET {', '.join(sets)} WHERE {pk} IN (SELECT id FROM v)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
