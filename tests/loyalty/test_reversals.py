"""Taking back the points an activity earned (a referral refunded after its hold)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.services import activity_record
from loyalty import services
from loyalty.models import LoyaltyAccount
from loyalty.selectors import balance_get
from tests.conftest import at
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RefundFactory,
)
from tests.loyalty.conftest import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def earned():
    ActivityRuleFactory(activity_kind="referral_converted", points=300)
    customer = CustomerFactory()
    activity = activity_record(customer=customer, kind="referral_converted", key="ref:1")
    assert balance_get(customer=customer)["balance"] == 300
    return customer, activity


def test_the_points_come_back_once(earned):
    customer, activity = earned

    entry = services.points_reverse_for_activity(activity=activity, reason="Refunded")
    again = services.points_reverse_for_activity(activity=activity)

    assert (entry.kind, entry.amount, entry.reason) == ("reverse", -300, "Refunded")
    assert again is None
    assert balance_get(customer=customer)["balance"] == 0
    assert LoyaltyAccount.objects.get(customer=customer).entries.count() == 2
    audit()


def test_points_already_spent_take_the_balance_negative(earned):
    customer, activity = earned
    services.points_spend(account=LoyaltyAccount.objects.get(customer=customer), amount=200,
                          key="spend:1")

    services.points_reverse_for_activity(activity=activity)

    assert balance_get(customer=customer)["balance"] == -200
    audit()


def test_an_activity_that_earned_nothing_reverses_nothing():
    customer = CustomerFactory()
    activity = activity_record(customer=customer, kind="no_rule_for_this")

    assert services.points_reverse_for_activity(activity=activity) is None
    assert balance_get(customer=customer)["balance"] == 0


# Refunds and cancellations of a batch of orders: a fixed number of statements per batch.

def _paid_orders(count: int, *, prefix: str):
    """`count` paid orders of 100.00, each of its own customer, with their points earned."""
    paid = at("2026-11-01T10:00:00Z")
    orders = [OrderFactory(total=Decimal("100.00"), placed_at=paid, paid_at=paid,
                           external_id=f"{prefix}-{i}") for i in range(count)]
    services.paid_orders_reward(orders=orders)
    return orders


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


@pytest.mark.usefixtures("inserted_not_copied")
@pytest.mark.parametrize("full", [False, True], ids=["in part", "in full"])
def test_refunds_of_a_batch_take_points_back_in_statements_that_do_not_grow(full):
    EarningRuleFactory(points_per_unit=Decimal("1"))
    amount = Decimal("100.00") if full else Decimal("30.00")
    counts = {}
    for size in (1, 20):
        orders = _paid_orders(size, prefix=f"batch{size}")
        refunds = []
        for order in orders:
            order.refunded_total = amount
            order.save(update_fields=["refunded_total"])
            refunds.append(RefundFactory(order=order, amount=amount, external_id="r-1"))
        counts[size] = _statements(
            lambda refunds=refunds: services.points_reverse_for_refunds(refunds=refunds))
        for order in orders:
            assert balance_get(customer=order.customer) == {
                "balance": 0, "pending": 0 if full else 70}
    assert counts[20] == counts[1]
    assert services.points_reverse_for_refunds(refunds=refunds) == []  # a replay takes nothing
    audit()


@pytest.mark.usefixtures("inserted_not_copied")
def test_cancellations_of_a_batch_take_points_back_in_statements_that_do_not_grow():
    EarningRuleFactory(points_per_unit=Decimal("1"))
    counts = {}
    for size in (1, 20):
        orders = _paid_orders(size, prefix=f"batch{size}")
        counts[size] = _statements(
            lambda orders=orders: services.points_cancel_for_orders(orders=orders))
        assert all(balance_get(customer=order.customer) == {"balance": 0, "pending": 0}
                   for order in orders)
    assert counts[20] == counts[1]
    assert services.points_cancel_for_orders(orders=orders) == []
    audit()
