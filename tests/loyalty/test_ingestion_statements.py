"""What loyalty costs a batch of order deliveries in a realistic shop: statements by table."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import Customer, OutboundDelivery, WebhookDelivery
from loyalty import services as loyalty_services
from loyalty.models import LoyaltyAccount, PointsLot, TierChange
from tests.conftest import (
    deliveries_held,
    order_event,
    realistic_shop,
    receive,
    statements_by_table,
)

pytestmark = pytest.mark.django_db

@pytest.fixture
def shop():
    realistic_shop()


def shopper(run: str, i: int, order: str = "") -> dict:
    """An order event from shopper i of a run (new to the shop on their first order)."""
    return order_event(id=order or f"{run}-{i}", customer={
        "id": f"{run}-c-{i}", "email": f"{run}-{i}@example.com", "accepts_marketing": True})


def apply_batch(events: list[dict]) -> Counter:
    """Receive the events, then apply them as one batch: its statements by table, and the
    work it leaves for after commit (emails, outbound webhooks)."""
    with deliveries_held():
        for event in events:
            receive(event)
        with CaptureQueriesContext(connection) as queries, \
                TestCase.captureOnCommitCallbacks() as callbacks:
            assert services.deliveries_apply() == len(events)
    statements = statements_by_table(queries)
    statements["(after commit)"] = len(callbacks)
    return statements


def apply_new_customers_orders(count: int, run: str) -> Counter:
    return apply_batch([shopper(run, i) for i in range(count)])


@pytest.mark.usefixtures("inserted_not_copied")
def test_loyalty_statements_per_order_from_a_new_customer(shop):
    one = apply_new_customers_orders(1, "one")
    twenty = apply_new_customers_orders(20, "twenty")

    per_event = {table: (twenty[table] - one[table]) / 19 for table in twenty | one}
    print("\nstatements by table: 1 event, 20 events, each further event")
    for table in sorted(per_event, key=lambda t: (-per_event[t], t)):
        print(f"  {table:40} {one[table]:4} {twenty[table]:5} {per_event[table]:6.2f}")
    loyalty = sum(count for table, count in per_event.items() if table.startswith("loyalty_"))
    print(f"  loyalty tables per event: {loyalty:.2f}; all: "
          f"{(sum(twenty.values()) - sum(one.values())) / 19:.2f}")

    # Each further event: only its move up to Member, the account's tier saved (1) and its
    # TierChange row (1). Opening and locking the accounts, reading the keys already posted,
    # posting the entries and lots, updating the balances and reading what the customers
    # qualify for are statements per batch, not per event. It was 11 when each order and
    # activity earned on its own, and 22 before the account was locked once per award.
    assert loyalty <= 2
    assert per_event["loyalty_loyaltyaccount"] <= 1
    assert per_event["loyalty_pointsentry"] == per_event["loyalty_pointslot"] == 0

    accounts = LoyaltyAccount.objects.select_related("tier")
    assert {(a.balance, a.pending, a.tier.name) for a in accounts} == {(10, 59, "Member")}
    assert accounts.count() == 21
    assert PointsLot.objects.count() == 42
    assert set(TierChange.objects.values_list("to_name", "is_up", "qualifying_value")) == {
        ("Member", True, Decimal("10"))}
    assert TierChange.objects.count() == 21
    assert OutboundDelivery.objects.count() == 42  # a tier change and a stage change each
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PROCESSED).count() == 21


def test_a_paid_order_from_a_customer_in_the_top_tier_reads_nothing_to_promote(shop):
    apply_batch([shopper("member", 1), shopper("gold", 1)])
    gold = Customer.objects.get(email="gold-1@example.com")
    loyalty_services.points_award(customer=gold, points=500, key="gift")
    assert LoyaltyAccount.objects.get(customer=gold).tier.name == "Gold"

    member = apply_batch([shopper("member", 1, order="member-2")])
    top = apply_batch([shopper("gold", 1, order="gold-2")])

    assert member - top == Counter({"loyalty_pointsentry": 1})  # what they qualify for
    assert (member - top) + top == member
    accounts = LoyaltyAccount.objects.select_related("tier").order_by("customer__email")
    assert [(a.tier.name, a.balance, a.pending) for a in accounts] == [
        ("Gold", 510, 118), ("Member", 10, 118)]
