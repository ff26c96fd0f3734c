"""One INSERT for many rows, telling which ones this transaction added."""

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


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
