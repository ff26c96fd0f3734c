"""Orders of one customer arriving at once: one stage, one timeline, no lost refresh."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone

from customers import services
from customers.ingestion.generic import parse_order
from customers.models import Activity, CustomerScore, Stage
from tests.conftest import at_once, order_event


def placed(days_ago: int) -> dict:
    """Placed (and updated) that many days before now: stages depend on the clock."""
    when = (timezone.now() - dt.timedelta(days=days_ago)).isoformat()
    return {"placed_at": when, "updated_at": when}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@time_machine.travel("2026-11-06T12:00:00Z")  # a day after the last order: loyal, not at risk
def test_five_orders_of_a_new_customer_at_once():
    events = [parse_order(order_event(id=f"race-{i}", placed_at=f"2026-11-0{i + 1}T10:00:00Z",
                                      updated_at=f"2026-11-0{i + 1}T10:05:00Z"))
              for i in range(5)]

    # The day after the last order: a month later, five orders a day apart are "at risk".
    with time_machine.travel("2026-11-06T12:00:00Z"):
        results = at_once(5, lambda i: services.order_apply(event=events[i]))

    assert not [r for r in results if isinstance(r, Exception)]
    score = CustomerScore.objects.get(customer__email="ada@example.com")
    assert score.orders == 5 and score.stage == Stage.LOYAL
    changes = [(a.data["from"], a.data["to"]) for a in Activity.objects.filter(
        kind=Activity.Kind.STAGE_CHANGED).order_by("id")]
    assert changes[0][0] == "" and changes[-1][1] == Stage.LOYAL
    assert all(a[1] == b[0] for a, b in itertools.pairwise(changes))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_arriving_during_the_recompute_is_counted_either_way():
    """The recompute updates every score in place; an order's refresh waits for it (or it
    for the refresh), so neither overwrites the other with stale figures."""
    services.order_apply(event=parse_order(order_event(id="before", **placed(5))))
    services.segments_recompute()
    second = parse_order(order_event(id="during", **placed(2)))

    results = at_once(2, lambda i: services.segments_recompute() if i == 0
                      else services.order_apply(event=second))

    assert not [r for r in results if isinstance(r, Exception)]
    score = CustomerScore.objects.get(customer__email="ada@example.com")
    assert score.orders == 2 and score.stage == Stage.REPEAT
