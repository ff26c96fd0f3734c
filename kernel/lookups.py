"""`field__any=values`: the batch services' `IN`, for lists of hundreds of values."""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _Array:
    """`field__any=values` selects what `field__in=values` selects. On PostgreSQL the values
    go as one array (`field = ANY(%s::type[])`) instead of one placeholder each: Django
    prepares an `IN` list value by value through several calls, and psycopg splits and
    quotes the query around every placeholder, which for a batch's hundreds of ids or keys
    costs more than running the query. Elsewhere, and for a subquery, it is `IN`."""

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        field = self.lhs.output_field
        values = {field.get_db_prep_value(value, connection, prepared=True)
                  for value in self.rhs if value is not None}
        if not values:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", (*params, list(values))


@Field.register_lookup
class AnyOf(_Array, In):
    __doc__ = _Array.__doc__


@ForeignObject.register_lookup
class RelatedAnyOf(_Array, RelatedIn):
    """AnyOf for a foreign key: its values are pks or objects, as for `__in`."""
