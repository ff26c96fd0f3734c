"""Reads compiled once per process: for the few hot paths where the ORM's compiling of a query
cost more CPU than running it (a quiz completion reads its quiz version on every request).

The ORM builds the statement and its row layout (select_related models, annotations, each
column's converters) the first time, with a placeholder for the one value that changes; then
each call runs that SQL with the value and builds the objects the way a QuerySet would. The
statement is kept per name and active language (a translated field may compile differently).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import get_language

_PLACEHOLDER = "\x00compiled-value\x00"
M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: tuple
    slot: int
    init_list: list[str]
    start: int
    end: int
    related: list
    annotations: dict[str, int]
    converters: list


_compiled: dict[tuple[str, str | None], _Compiled] = {}


def _compile(queryset: QuerySet) -> _Compiled:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots = [n for n, param in enumerate(params) if param == _PLACEHOLDER]
    if len(slots) != 1:
        raise ValueError("the compiled query must take the value once, as a parameter")
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    return _Compiled(
        compiler=compiler, sql=sql, params=tuple(params), slot=slots[0],
        init_list=[column[0].target.attname for column in compiler.select[start:end]],
        start=start, end=end,
        related=get_related_populators(info, compiler.select, queryset.db),
        annotations=dict(compiler.annotation_col_map or {}),
        # What results_iter would work out again for every row: each column's converters.
        converters=compiler.get_converters(
            [column[0] for column in compiler.select[:compiler.col_count]]))


def compiled_first(name: str, build: Callable[[str], QuerySet[M]], value: str) -> M | None:
    """`build(value).first()` (the QuerySet's own order), compiled once per process: `build`
    is called the first time only, and must use `value` once, as a parameter (a filter)."""
    key = (name, get_language())
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _compile(build(_PLACEHOLDER)[:1])
    params = list(compiled.params)
    params[compiled.slot] = value
    compiler = compiled.compiler
    with connections[compiler.using].cursor() as cursor:  # this thread's connection
        cursor.execute(compiled.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if compiled.converters:
        row = next(compiler.apply_converters([row], compiled.converters))
    db = compiler.using
    model: type[M] = compiler.query.model
    obj = model.from_db(db, compiled.init_list, row[compiled.start:compiled.end])
    for populator in compiled.related:
        populator.populate(row, obj)
    for attribute, position in compiled.annotations.items():
        setattr(obj, attribute, row[position])
    return obj


def compiled_forget() -> None:
    """Drop every compiled statement (tests that change the database's schema or vendor)."""
    _compiled.clear()

