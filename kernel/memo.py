"""Configuration read once per unit of work instead of once per event.

Applying order deliveries sends `orders_paid` and `activities_recorded` batch after batch;
each receiver looks up the same rules, tiers and settings. Inside `memo_scope()`,
`memoized(key, load)` calls `load` once per key and hands every later caller the same value;
outside a scope it simply calls `load`, so nothing is ever stale beyond one unit of work.
"""

import contextvars
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_values: contextvars.ContextVar[dict | None] = contextvars.ContextVar("flywheel_memo",
                                                                      default=None)


@contextmanager
def memo_scope():
    """Remember memoized values until the block ends (a nested scope shares the outer one)."""
    if _values.get() is not None:
        yield
        return
    token = _values.set({})
    try:
        yield
    finally:
        _values.reset(token)


def memoized(key: str, load: Callable[[], T]) -> T:
    """`load()`, once per key within a memo scope. Return values that are not changed later
    (tuples, frozen objects, lists nobody appends to): every caller shares them."""
    values = _values.get()
    if values is None:
        return load()
    if key not in values:
        values[key] = load()
    return values[key]
