"""Earning for a batch of order deliveries at once: caps count the awards chosen earlier in the
batch, a customer's items earn in turn (with the tier the earlier ones reached), and a new
customer's welcome points and order points land on one account."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import Customer, SegmentSettings
from loyalty import services as loyalty_services
from loyalty.models import LoyaltyAccount, LoyaltyProgram, PointsEntry, PointsLot, TierChange
from tests.conftest import deliveries_held, order_event, receive
from tests.factories import ActivityRuleFactory, EarningRuleFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def settings_rows():
    LoyaltyProgram.get()
    SegmentSettings.get()


def ada_order(order_id: str, total: str = "59.90") -> dict:
    """An order of Ada's, who is new to the shop on her first one."""
    return order_event(id=order_id, total=total, lines=[
        {"sku": "SERUM-30", "name": "Serum 30 ml", "quantity": 1, "price": total}])


def apply_as_one_batch(events: list[dict]):
    """Receive the events, then apply them together in one batch; its statements."""
    with deliveries_held():
        for event in events:
            receive(event)
        with CaptureQueriesContext(connection) as queries, \
                TestCase.captureOnCommitCallbacks(execute=True):
            assert services.deliveries_apply() == len(events)
    return queries


def ada_entries():
    return list(PointsEntry.objects.filter(account__customer__email="ada@example.com")
                .order_by("order__external_id").values_list("order__external_id", "amount"))


def test_a_rule_capped_once_per_customer_awards_one_of_two_orders_in_one_batch():
    EarningRuleFactory(name="First order", points_per_unit=Decimal("1"), cap_count=1,
                       cap_period="ever")

    apply_as_one_batch([ada_order("A-1"), ada_order("A-2")])

    assert ada_entries() == [("A-1", 59)]
    account = LoyaltyAccount.objects.get()
    assert (account.balance, account.pending) == (0, 59)


def test_once_a_capped_rule_is_used_up_in_the_batch_the_next_best_rule_earns():
    EarningRuleFactory(name="Double points on the first order", points_per_unit=Decimal("2"),
                       cap_count=1, cap_period="ever")
    EarningRuleFactory(name="One point per euro", points_per_unit=Decimal("1"))

    apply_as_one_batch([ada_order("A-1"), ada_order("A-2"), ada_order("A-3")])

    assert ada_entries() == [("A-1", 119), ("A-2", 59), ("A-3", 59)]
    assert LoyaltyAccount.objects.get().pending == 237


def test_a_new_customers_welcome_and_order_points_land_on_one_account_opened_once():
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("500"))

    queries = apply_as_one_batch([ada_order("A-1")])

    account = LoyaltyAccount.objects.select_related("tier", "customer").get()
    assert account.customer.email == "ada@example.com"
    assert (account.balance, account.pending, account.tier.name) == (10, 59, "Member")
    assert sorted(PointsEntry.objects.values_list("account_id", "amount", "held")) == [
        (account.pk, 10, False), (account.pk, 59, True)]
    assert PointsLot.objects.filter(account=account).count() == 2
    assert list(TierChange.objects.values_list("to_name", "qualifying_value")) == [
        ("Member", Decimal("10"))]
    opened = [q["sql"] for q in queries
              if q["sql"].startswith("INSERT") and 'INTO "loyalty_loyaltyaccount"' in q["sql"]]
    assert len(opened) == 1


def test_a_customers_second_order_in_a_batch_earns_with_the_tier_the_first_reached():
    program = LoyaltyProgram.get()
    program.tier_metric = LoyaltyProgram.TierMetric.SPENT
    program.save()
    EarningRuleFactory(points_per_unit=Decimal("1"))
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("100"),
                earn_multiplier=Decimal("2"))

    apply_as_one_batch([ada_order("A-1"), ada_order("A-2")])

    # The two paid orders (119.80) reach Gold once the first is rewarded, as they did when
    # each order was rewarded on its own.
    assert ada_entries() == [("A-1", 59), ("A-2", 119)]
    assert LoyaltyAccount.objects.get().tier.name == "Gold"
    assert Customer.objects.get().loyalty_tier == "Gold"


def test_replaying_a_batch_earns_nothing_twice():
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)
    apply_as_one_batch([ada_order("A-1"), ada_order("A-2")])
    orders = list(Customer.objects.get().orders.order_by("external_id"))
    assert loyalty_services.paid_orders_reward(orders=orders) == [None, None]
    account = LoyaltyAccount.objects.get()
    assert (account.balance, account.pending) == (10, 118)
    assert PointsEntry.objects.count() == 3


def test_a_batchs_points_emails_go_out_from_one_task_one_email_per_customer(mailoutbox):
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)

    with mock.patch("loyalty.tasks.points_earned_emails_task.delay") as queued:
        apply_as_one_batch([ada_order("A-1"), order_event(
            id="G-1", customer={"id": "c-g", "email": "grace@example.com",
                                "first_name": "Grace", "accepts_marketing": True})])

    # The welcome points and the orders' points, awarded apart, reach one task.
    assert len(queued.call_args_list) == 1
    (entry_ids,) = queued.call_args.args
    assert len(entry_ids) == 4
    Customer.objects.filter(email="grace@example.com").update(language="tr")
    assert loyalty_services.points_earned_emails_send(entry_ids=entry_ids) == 2
    ada, grace = sorted(mailoutbox, key=lambda message: message.to)
    assert ada.subject.startswith("You earned 69 points")
    assert "+10 Welcome to the club\n" in ada.body
    assert "+59 Order #1001 (pending until " in ada.body
    # Grace reads hers in Turkish, the causes too.
    assert grace.to == ["grace@example.com"]
    assert "69 puan" in grace.subject
    assert "+10 Kulübe hoş geldiniz\n" in grace.body
    assert "+59 #1001 numaralı sipariş (15 Kasım 2026 tarihine kadar beklemede)" in grace.body
    # Sent again (a retried task), nothing goes twice.
    assert loyalty_services.points_earned_emails_send(entry_ids=entry_ids) == 0


def test_a_batchs_points_emails_cost_the_same_statements_however_many_there_are(mailoutbox):
    EarningRuleFactory(points_per_unit=Decimal("1"))
    # Two entries each, so every e-mail lists its causes: a field the e-mail reads but the
    # query left out would cost a statement per e-mail.
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)

    def shoppers(prefix: str, count: int) -> list[int]:
        with mock.patch("loyalty.tasks.points_earned_emails_task.delay"):
            apply_as_one_batch([order_event(
                id=f"{prefix}-{n}", customer={"id": f"{prefix}-{n}", "accepts_marketing": True,
                                              "email": f"{prefix}{n}@example.com",
                                              "first_name": f"Shopper {n}"})
                for n in range(count)])
        return list(PointsEntry.objects.filter(account__customer__email__startswith=prefix)
                    .values_list("pk", flat=True))

    counts = []
    # The first batch also reads the shop's settings, which later batches find cached.
    for prefix, count in (("first", 1), ("few", 2), ("many", 8)):
        entry_ids = shoppers(prefix, count)
        with CaptureQueriesContext(connection) as queries:
            assert loyalty_services.points_earned_emails_send(entry_ids=entry_ids) == count
        counts.append(len(queries))
    assert len(mailoutbox) == 11
    assert counts[1] == counts[2]
    last = next(message for message in mailoutbox if message.to == ["many7@example.com"])
    assert last.subject.startswith("You earned 69 points")
    assert last.body.startswith("Hi Shopper 7,")
    assert "+10 Welcome to the club\n" in last.body
    assert "Available now: 10 points. Pending: 59 points." in last.body
