"""The memo: configuration read once per unit of work, never stale beyond it."""

from kernel.memo import memo_scope, memoized


def test_memoized_loads_once_inside_a_scope_and_every_time_outside():
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    assert memoized("k", load) == 1
    assert memoized("k", load) == 2  # no scope: no memory
    with memo_scope():
        assert memoized("k", load) == 3
        with memo_scope():  # nested: shares the outer scope
            assert memoized("k", load) == 3
        assert memoized("other", load) == 4
        assert memoized("k", load) == 3
    assert memoized("k", load) == 5  # the scope ended, and its values with it
