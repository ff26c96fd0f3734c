from django.db import models, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_unless_known(obj: models.Model) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, in one round trip and without a
    savepoint: True and the pk set when this call inserted the row, False when a row with the
    same unique key exists or is being inserted by another transaction (the INSERT waits for
    it to commit). Asking first would cost a SELECT on every insert to save one on a repeat."""
    model = type(obj)
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values([f for f in model._meta.local_concrete_fields if not f.primary_key],
                        [obj])
    compiler = query.get_compiler(using=router.db_for_write(model))
    compiler.returning_fields = [model._meta.pk]
    (sql, params), = compiler.as_sql()
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = compiler.using
    return True
