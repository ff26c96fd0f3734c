"""Races, on PostgreSQL with real threads: what SQLite and TestCase would hide."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.ingestion.generic import parse_order
from customers.services import order_apply
from loyalty import services
from loyalty.errors import InsufficientPoints
from loyalty.models import LoyaltyAccount, PointsEntry, Redemption
from loyalty.selectors import balance_get
from tests.conftest import at_once, order_event
from tests.factories import CustomerFactory, EarningRuleFactory, OrderFactory, RewardFactory
from tests.loyalty.conftest import audit, customer_with

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_spends_against_a_balance_that_affords_ten():
    cost = 7
    customer = CustomerFactory()
    services.points_award(customer=customer, points=10 * cost, key="welcome")
    account = LoyaltyAccount.objects.get(customer=customer)

    results = at_once(50, lambda i: services.points_spend(
        account=account, amount=cost, key=f"redemption:{i}"))

    spent = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (len(spent), len(refused)) == (10, 40)
    assert all(r.code == "insufficient_points" for r in refused)
    assert balance_get(customer=customer)["balance"] == 0
    assert PointsEntry.objects.filter(kind="redeem").count() == 10
    audit()


def test_fifty_concurrent_redemptions_against_a_balance_that_affords_ten():
    cost = 30
    customer = customer_with(10 * cost)
    reward = RewardFactory(cost=cost)

    results = at_once(50, lambda i: services.redemption_create(customer=customer, reward=reward))

    issued = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (len(issued), len(refused)) == (10, 40)
    assert len({r.code for r in issued}) == 10
    assert balance_get(customer=customer)["balance"] == 0
    assert Redemption.objects.count() == 10
    assert PointsEntry.objects.filter(kind="redeem").count() == 10
    audit()


def test_the_same_paid_order_applied_ten_times_at_once_earns_once():
    EarningRuleFactory()
    event = parse_order(order_event())

    results = at_once(10, lambda i: order_apply(event=event))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert PointsEntry.objects.filter(kind="earn").count() == 1
    customer = CustomerFactory(email="ada@example.com")
    assert balance_get(customer=customer) == {"balance": 0, "pending": 59}
    audit()


def test_two_release_jobs_at_once_release_each_lot_once():
    EarningRuleFactory()
    paid = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(20):
        order = OrderFactory(total=Decimal("10.00"), placed_at=paid, paid_at=paid)
        services.points_award_for_order(order=order)

    results = at_once(4, lambda i: services.points_release_due(
        now=paid + dt.timedelta(days=15), batch_size=3))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 20
    assert PointsEntry.objects.filter(kind="release").count() == 20
    audit()
