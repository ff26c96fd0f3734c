"""Orders of one customer arriving at once: one stage, one timeline, no lost refresh."""

import itertools

import pytest
import time_machine

from customers import services
from customers.ingestion.generic import parse_order
from customers.models import Activity, CustomerScore, Stage
from tests.conftest import at_once, order_event


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
