"""Set-based reads and writes the batch services of every app share."""

import hashlib
import operator
from collections.abc import Iterable, Sequence
from functools import cache, reduce
from typing import TypeVar

import numpy as np
from django.db import connections, router
from django.db.models import Model, Q

M = TypeVar("M", bound=Model)


def source_pairs_q(pairs: Iterable[tuple[str, str]], field: str) -> Q:
    """Rows whose `source` and `field` are one of the (source, value) pairs, with one `__any` per
    source. There must be at least one pair."""
    by_source: dict[str, list[str]] = {}
    for source, value in pairs:
        by_source.setdefault(source, []).append(value)
    return reduce(operator.or_, (Q(source=source, **{f"{field}__any": values})
                                 for source, values in by_source.items()))


def keys_lock(model: type[Model], keys: Iterable[str]) -> None:
    """Hold a lock on each key until the transaction ends: for rows of `model` that may not
    exist yet, which no row lock can hold. Two transactions writing the same key then take
    turns from the start, before either locks anything else. The locks are PostgreSQL's
    advisory locks, on the table's oid and a 32-bit hash of each key, taken in hash order so
    two transactions never wait for each other (keys that share a hash only take turns).
    Each key holds one entry of PostgreSQL's shared lock table until commit: a batch of 1,000
    takes 1,000 of the 6,400 a default server has (max_locks_per_transaction times connections).
    SQLite writes one transaction at a time, so there it does nothing."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return
    hashes = sorted({int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(),
                                    "big", signed=True) for key in keys})
    if not hashes:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::regclass::oid::int, k) "
                       "FROM unnest(%s::int[]) AS k", [model._meta.db_table, hashes])


# Rows from which a batch is written by COPY on PostgreSQL: below, one INSERT costs less
# than COPY's four statements (and keeps the web path's statement counts). Above, an INSERT's
# compiling and its parameters cost the worker more than the statements: applying a loyalty
# shop's orders in batches of 30 and of 120 took a fifth fewer instructions (callgrind) with
# COPY from 20 rows than from 200, for about the same PostgreSQL CPU.
COPY_FROM = 20


def _copied(model: type[Model], rows: int) -> bool:
    return rows >= COPY_FROM and connections[router.db_for_write(model)].vendor == "postgresql"


def _written(model: type[Model]) -> list:
    """The fields an INSERT writes: all but a primary key the database numbers (a one-to-one
    key that is the primary key is written)."""
    return [f for f in model._meta.local_concrete_fields if f is not model._meta.auto_field]


def _rows(objs: Sequence[Model]) -> list[dict]:
    """The objects as rows_copy's rows, as a save would write them (auto_now filled)."""
    fields = _written(type(objs[0]))
    for f in fields:
        if f.is_relation:  # a foreign key to an object saved since it was set takes its pk
            for obj in objs:
                if getattr(obj, f.attname) is None and f.is_cached(obj) and (
                        related := f.get_cached_value(obj)) is not None:
                    setattr(obj, f.attname, related.pk)
    return [{f.attname: f.pre_save(obj, True) for f in fields} for obj in objs]


def rows_add(model: type[Model], rows: list[dict]) -> None:
    """INSERT rows nothing refers to yet, given as dicts by field attname (`order_id`): a
    large batch on PostgreSQL by COPY (rows_copy), building no model instance; else one
    bulk_create."""
    if _copied(model, len(rows)):
        rows_copy(model, rows)
    elif rows:
        model.objects.bulk_create([model(**row) for row in rows])


def objs_add(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT new objects whose pks no one reads back: a large batch on PostgreSQL by COPY
    (rows_copy, which skips a row whose unique fields are taken, so only for rows that can't
    conflict or with `ignore_conflicts`), else one bulk_create."""
    if not objs:
        return
    model = type(objs[0])
    if _copied(model, len(objs)):
        rows_copy(model, _rows(objs))
    else:
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)


def insert_new(objs: list[M], *, key: tuple[str, ...]) -> list[M]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the pk and the unique `key` fields: one
    statement per chunk and no savepoint (a large batch on PostgreSQL by COPY, rows_copy).
    Sets the pk of each object this call inserted and returns them; an object whose key
    another transaction already holds keeps no pk (the INSERT waited for that transaction to
    commit, so a lookup finds its row now)."""
    if not objs:
        return []
    model = type(objs[0])
    meta = model._meta
    fields = _written(model)
    keys = [meta.get_field(name) for name in key]
    using = router.db_for_write(model)
    size = connections[using].ops.bulk_batch_size(fields, objs) or len(objs)
    pending = {tuple(getattr(obj, f.attname) for f in keys): obj for obj in objs}
    if _copied(model, len(objs)):
        return [_saved(pending[values], pk, using)
                for values, pk in rows_copy(model, _rows(objs), key=key).items()]
    inserted = []
    connection = connections[using]
    head, row = _insert_statement(model, key)
    for start in range(0, len(objs), size):
        chunk = _rows(objs[start:start + size])
        params = [f.get_db_prep_save(values[f.attname], connection)
                  for values in chunk for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(head.replace("{rows}", ", ".join([row] * len(chunk))), params)
            inserted.extend(_saved(pending[tuple(values)], pk, using)
                            for pk, *values in cursor.fetchall())
    return inserted


def _saved(obj: M, pk, using: str) -> M:
    """The object as a save leaves it: its pk set, known to be in the database."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, using
    return obj


@cache
def _insert_statement(model: type[Model], key: tuple[str, ...]) -> tuple[str, str]:
    """insert_new's INSERT, written once per model and key (Django's compiler would write it
    again for every call, which cost a web request more than running it): the statement
    with `{rows}` where the rows go, and one row's placeholders."""
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = _written(model)
    if any(f.get_placeholder(None, None, connection) != "%s"
           for f in fields if hasattr(f, "get_placeholder")):
        raise ValueError(f"{meta.label} has a field with a placeholder of its own")
    returning = ", ".join(quote(f.column) for f in [meta.pk, *map(meta.get_field, key)])
    return (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
            f" VALUES {{rows}} ON CONFLICT DO NOTHING RETURNING {returning}",
            f"({', '.join(['%s'] * len(fields))})")


def objs_upsert(objs: list[M], *, unique: tuple[str, ...], update: tuple[str, ...]) -> None:
    """INSERT the objects, or where their `unique` fields are taken UPDATE that row's `update`
    fields, as bulk_create(update_conflicts=True) does; a large batch on PostgreSQL by COPY
    (rows_copy). Sets each object's pk."""
    if not objs:
        return
    model = type(objs[0])
    if not _copied(model, len(objs)):
        model.objects.bulk_create(objs, update_conflicts=True, unique_fields=unique,
                                  update_fields=update)
        return
    fields = [model._meta.get_field(name) for name in unique]
    pks = rows_copy(model, _rows(objs), key=unique, update=update)
    using = router.db_for_write(model)
    for obj in objs:
        _saved(obj, pks[tuple(getattr(obj, f.attname) for f in fields)], using)


def rows_copy(model: type[Model], rows: list[dict], *,
              key: tuple[str, ...] = (), update: tuple[str, ...] = ()) -> dict[tuple, int]:
    """INSERT new rows of `model` in bulk, skipping those whose unique fields are taken (or,
    with `update`, on PostgreSQL, updating those fields of the row holding them: `key` names
    the unique fields then; objs_upsert is the way on every database). Rows are dicts by
    field attname (`order_id`); a missing field takes its default (worked out once for all).
    On PostgreSQL: one COPY into a temporary table and one INSERT ... SELECT ... ON CONFLICT,
    with no model instance built and no per-value preparation in Python (JSON fields aside);
    elsewhere `insert_new` or `bulk_create`. With `key` (unique fields), returns {the key's
    values: pk} of the rows inserted (and updated). Sends no signal.

    The temporary table is made once per database session and kept, emptied at every commit
    (ON COMMIT DELETE ROWS) and after each use: creating and dropping one per call writes the
    system catalogs each time, which cost more than the COPY. Its name carries a digest of
    its columns, so a session never fills a table made for other columns."""
    if not rows:
        return {}
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    returning = [meta.pk, *(meta.get_field(name) for name in key)]
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        if update:
            raise ValueError("rows_copy updates on PostgreSQL only: use objs_upsert")
        if not key:
            model.objects.bulk_create(objs, ignore_conflicts=True)
            return {}
        return {tuple(getattr(obj, f.attname) for f in returning[1:]): obj.pk
                for obj in insert_new(objs, key=key)}
    fields = _written(model)
    defaults = {f.attname: f.get_default() for f in fields}
    json = {f.attname: f for f in fields if f.get_internal_type() == "JSONField"}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    digest = hashlib.blake2s(columns.encode(), digest_size=4).hexdigest()
    table, stage = quote(meta.db_table), quote(f"{meta.db_table}_stage_{digest}")
    with connection.cursor() as cursor:
        # IF NOT EXISTS: the session keeps it, unless the transaction that made it rolled back.
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                       f"AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = defaults | row
                for name, field in json.items():
                    values[name] = field.get_db_prep_save(values[name], connection)
                copy.write_row(values.values())
        if update:
            conflict = (f"ON CONFLICT ({', '.join(quote(f.column) for f in returning[1:])}) "
                        "DO UPDATE SET " + ", ".join(
                            f"{quote(c)} = EXCLUDED.{quote(c)}"
                            for c in (meta.get_field(name).column for name in update)))
        else:
            conflict = "ON CONFLICT DO NOTHING"
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "
                       + conflict + (
                           f" RETURNING {', '.join(quote(f.column) for f in returning)}"
                           if key else ""))
        found = cursor.fetchall() if key else []
        cursor.execute(f"DELETE FROM {stage}")
    return {tuple(values): pk for pk, *values in found}


def update_each(model: type[Model], rows: dict[int, dict], *, add: bool = False,
                **same) -> None:
    """UPDATE many rows in one statement: each row (by pk) takes its own values for the fields
    in `rows` (with `add`, adds them to what the row holds), and every row the `same` values.
    (Django's bulk_update, or an update with Case/When, writes a CASE branch per row and
    field, which costs more to build and to run than the UPDATE itself.) On PostgreSQL each
    column's values go as one array, joined to the rows by pk (`UPDATE ... FROM unnest(...)`);
    elsewhere as a VALUES list with a placeholder each."""
    if not rows:
        return
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in next(iter(rows.values()))]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = [f"c{i}" for i in range(len(fields))]
    postgresql = connection.vendor == "postgresql"

    def own(name: str) -> str:  # the row's own value, from the arrays or the VALUES list
        return f"v.{name}" if postgresql else f"(SELECT v.{name} FROM v WHERE v.id = {table}.{pk})"

    sets = [f"{quote(f.column)} = {f'{table}.{quote(f.column)} + ' if add else ''}{own(name)}"
            for f, name in zip(fields, names, strict=True)]
    same_params = []
    for name, value in same.items():
        field = meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        same_params.append(field.get_db_prep_save(value, connection))
    if postgresql:
        columns = [list(rows), *([f.get_db_prep_save(row[f.name], connection)
                                  for row in rows.values()] for f in fields)]
        arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in (meta.pk, *fields))
        sql = (f"UPDATE {table} SET {', '.join(sets)} FROM unnest({arrays}) "
               f"AS v(id, {', '.join(names)}) WHERE {table}.{pk} = v.id")
        params = [*same_params, *columns]
    else:
        values = ", ".join([f"({', '.join(['%s'] * (len(fields) + 1))})"] * len(rows))
        params = [p for key, row in rows.items() for p in (
            key, *(f.get_db_prep_save(row[f.name], connection) for f in fields))]
        params.extend(same_params)
        sql = (f"WITH v(id, {', '.join(names)}) AS (VALUES {values}) UPDATE {table} "
               f"SET {', '.join(sets)} WHERE {pk} IN (SELECT id FROM v)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Columns of numbers in and out of the database as NumPy arrays: the value model scores a
# million customers at once. On PostgreSQL they travel in binary, parsed and built by NumPy
# without a Python loop (each column read as one array_agg in its binary form, rows written
# with one binary COPY); elsewhere as plain rows.

_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no extension
_ARRAY_HEADER = 20  # dimensions, has-nulls flag, element type, length, lower bound


def _big_endian(kind: np.dtype) -> str:
    return ">f8" if kind.kind == "f" else ">i8"


def columns_read(*, sql: str, columns: dict[str, type], params=None) -> dict[str, np.ndarray]:
    """The rows of `sql` (a SELECT of these columns), one array per column. Each column
    must be an integer or a float and never NULL (COALESCE it; NaN can stand for a missing
    float)."""
    kinds = {name: np.dtype(kind) for name, kind in columns.items()}
    connection = connections["default"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(
                f"array_send(array_agg(q.{name}::{'float8' if kind.kind == 'f' else 'int8'}))"
                for name, kind in kinds.items())
            cursor.execute(f"SELECT {arrays} FROM ({sql}) q", params)
            found = cursor.fetchone()
            element = {name: np.dtype([("size", ">i4"), ("value", _big_endian(kind))])
                       for name, kind in kinds.items()}
            return {name: (np.frombuffer(bytes(data)[_ARRAY_HEADER:], dtype=element[name])
                           ["value"].astype(kind) if data is not None
                           else np.zeros(0, dtype=kind))
                    for (name, kind), data in zip(kinds.items(), found, strict=True)}
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {name: np.array([row[i] for row in rows], dtype=kind)
            for i, (name, kind) in enumerate(kinds.items())}


def _copy_dtype(columns: dict[str, np.dtype]) -> np.dtype:
    fields = [("count", ">i2")]
    for name, kind in columns.items():
        fields += [(f"{name}_size", ">i4"), (name, _big_endian(kind))]
    return np.dtype(fields)


def columns_write(*, table: str, columns: dict[str, np.ndarray]) -> None:
    """Append rows to `table` (already created), one array per column, all the same length:
    integers as bigint, floats as double precision. A NaN stays NaN on PostgreSQL and
    becomes NULL on SQLite: read such a column with NULLIF(column, 'NaN')."""
    connection = connections["default"]
    names = list(columns)
    size = len(next(iter(columns.values()))) if columns else 0
    if not size:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            kinds = {name: np.asarray(array).dtype for name, array in columns.items()}
            rows = np.empty(size, dtype=_copy_dtype(kinds))
            rows["count"] = len(names)
            for name, array in columns.items():
                rows[f"{name}_size"] = 8
                rows[name] = array
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN "
                                    "(FORMAT BINARY)") as copy:
                copy.write(_COPY_SIGNATURE + rows.tobytes() + b"\xff\xff")
            return
        placeholders = ", ".join(["%s"] * len(names))
        rows = zip(*(np.asarray(array).tolist() for array in columns.values()), strict=True)
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})", list(rows))
