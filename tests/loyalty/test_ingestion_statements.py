"""What loyalty costs a batch of order deliveries in a realistic shop: statements by table."""

import json
import re
from collections import Counter
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import OutboundDelivery, SegmentSettings, WebhookDelivery
from loyalty.models import LoyaltyAccount, LoyaltyProgram, PointsLot, TierChange
from tests.conftest import order_event
from tests.factories import (
    ActivityRuleFactory,
    EarningRuleFactory,
    ReferralProgramFactory,
    TierFactory,
    WebhookSubscriptionFactory,
)

pytestmark = pytest.mark.django_db

TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"(\w+)"')


def by_table(queries) -> Counter:
    """Statements by the table they read or write first (savepoints apart)."""
    tables = Counter()
    for query in queries:
        match = TABLE.search(query["sql"])
        tables[match.group(1) if match else query["sql"].split()[0].upper()] += 1
    return tables


@pytest.fixture
def shop():
    """An order rule, a welcome rule, tiers Member (0) and Gold (500), a referral program
    and a webhook subscriber, as test_memo's realistic shop."""
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("500"))
    ReferralProgramFactory()
    WebhookSubscriptionFactory(events=["loyalty.tier_changed", "customer.stage_changed"])
    LoyaltyProgram.get()
    SegmentSettings.get()


def apply_new_customers_orders(count: int, run: str) -> Counter:
    """`count` orders from new customers, received then applied as one batch."""
    with mock.patch("customers.tasks.deliveries_apply_task.apply_async"):
        for i in range(count):
            event = order_event(id=f"{run}-{i}", customer={
                "id": f"{run}-c-{i}", "email": f"{run}-{i}@example.com",
                "accepts_marketing": True})
            with TestCase.captureOnCommitCallbacks(execute=True):
                services.delivery_receive(
                    source="generic", topic="orders", body=json.dumps(event).encode(),
                    headers={"Content-Type": "application/json"},
                    content_type="application/json")
        with CaptureQueriesContext(connection) as queries, \
                TestCase.captureOnCommitCallbacks() as callbacks:
            assert services.deliveries_apply() == count
    statements = by_table(queries)
    statements["(after commit)"] = len(callbacks)
    return statements


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

    accounts = LoyaltyAccount.objects.select_related("tier")
    assert {(a.balance, a.pending, a.tier.name) for a in accounts} == {(10, 59, "Member")}
    assert accounts.count() == 21
    assert PointsLot.objects.count() == 42
    assert TierChange.objects.filter(to_name="Member", is_up=True).count() == 21
    assert OutboundDelivery.objects.count() == 42  # a tier change and a stage change each
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PROCESSED).count() == 21
