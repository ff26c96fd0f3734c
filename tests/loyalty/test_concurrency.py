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


def test_fifty_concurrent_api_redemptions_get_ten_vouchers_and_forty_409s():
    from customers.services import api_key_create
    from tests.conftest import api_client

    _, raw_key = api_key_create(name="Race")
    customer = customer_with(10 * 25)
    reward = RewardFactory(cost=25)
    url = f"/api/v1/customers/{customer.pk}/redemptions/"

    responses = at_once(50, lambda i: api_client(raw_key).post(
        url, {"reward_id": reward.pk}, format="json"))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [409] * 40
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "insufficient_points"}
    assert balance_get(customer=customer)["balance"] == 0
    audit()


def test_two_expiry_runs_at_once_expire_each_lot_once():
    from loyalty.models import LoyaltyProgram

    LoyaltyProgram.objects.update_or_create(pk=1, defaults={
        "expiry": LoyaltyProgram.Expiry.AFTER_EARNING, "expiry_months": 1})
    customers = [CustomerFactory() for _ in range(12)]
    for customer in customers:
        for n in range(3):
            services.points_award(customer=customer, points=10, key=f"bonus:{customer.pk}:{n}")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=62)

    results = at_once(4, lambda i: services.points_expire_due(now=later, batch_size=5))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 12 * 30
    # One expire entry per account for its three lots, posted by whichever run got there first.
    assert PointsEntry.objects.filter(kind="expire").count() == 12
    assert all(balance_get(customer=c)["balance"] == 0 for c in customers)
    audit()


def test_a_once_ever_rule_awards_once_when_activities_arrive_at_once():
    from customers.services import activity_record
    from tests.factories import ActivityRuleFactory

    ActivityRuleFactory(activity_kind="social_follow", points=40, cap_count=1,
                        cap_period="ever")
    customer = CustomerFactory()  # no account yet: the first award opens it

    results = at_once(8, lambda i: activity_record(
        customer=customer, kind="social_follow", key=f"follow:{i}"))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert PointsEntry.objects.filter(kind="earn").count() == 1
    assert balance_get(customer=customer)["balance"] == 40
    audit()


def test_the_same_custom_activity_posted_ten_times_at_once_earns_once():
    from customers.services import api_key_create
    from tests.conftest import api_client
    from tests.factories import ActivityRuleFactory

    _, raw_key = api_key_create(name="Race")
    ActivityRuleFactory(activity_kind="review_written", points=25)
    customer = CustomerFactory()
    body = {"kind": "review_written", "idempotency_key": "review-1"}

    responses = at_once(10, lambda i: api_client(raw_key).post(
        f"/api/v1/customers/{customer.pk}/activities/", body, format="json"))

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert customer.activities.filter(kind="review_written").count() == 1
    assert balance_get(customer=customer)["balance"] == 25
    audit()


def test_welcome_points_racing_to_open_one_account_each_land_on_it():
    """`customer_created` opens the account before looking; a twin opened meanwhile by
    another transaction is found and locked instead."""
    from customers.services import activity_record
    from tests.factories import ActivityRuleFactory

    ActivityRuleFactory(activity_kind="customer_created", points=10)
    customer = CustomerFactory()  # no account yet

    results = at_once(6, lambda i: activity_record(
        customer=customer, kind="customer_created", key=f"created:{i}"))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert LoyaltyAccount.objects.filter(customer=customer).count() == 1
    assert balance_get(customer=customer)["balance"] == 60
    audit()
