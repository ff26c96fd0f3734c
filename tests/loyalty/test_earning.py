"""Points for orders: held during the return window, released after it, taken back on refunds."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from loyalty import services
from loyalty.errors import InsufficientPoints
from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot
from loyalty.selectors import balance_get
from tests.conftest import at, order_event, post_event
from tests.factories import CustomerFactory, EarningRuleFactory, OrderFactory, RefundFactory

pytestmark = pytest.mark.django_db

PAID = at("2026-11-01T10:00:00Z")


@pytest.fixture
def rule():
    return EarningRuleFactory(points_per_unit=Decimal("1"))


def paid_order(total="100.00", **kwargs):
    order = OrderFactory(total=Decimal(total), placed_at=PAID, paid_at=PAID, **kwargs)
    services.points_award_for_order(order=order)
    return order


def refund(order, amount, external_id="r-1"):
    row = RefundFactory(order=order, amount=Decimal(amount), external_id=external_id)
    return services.points_reverse_for_refund(order=order, refund=row)


def test_a_paid_order_earns_pending_points_held_for_the_return_window(rule):
    order = paid_order("59.90")

    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 59}
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.amount, entry.held, entry.order) == ("earn", 59, True, order)
    assert (entry.rule, entry.rule_version) == (rule, 1)
    assert entry.key == f"order:generic:{order.external_id}:earn"
    assert PointsLot.objects.get().held_until == PAID + dt.timedelta(days=14)


def test_held_points_cannot_be_spent(rule):
    order = paid_order("50.00")
    account = LoyaltyAccount.objects.get(customer=order.customer)

    with pytest.raises(InsufficientPoints):
        services.points_spend(account=account, amount=1, key="redemption:1")


def test_points_per_unit_rounds_down_and_the_hold_is_configurable(settings):
    settings.LOYALTY_HOLD_DAYS = 30
    EarningRuleFactory(points_per_unit=Decimal("1.5"))

    order = paid_order("9.99")

    assert balance_get(customer=order.customer)["pending"] == 14  # 14.985
    assert PointsLot.objects.get().held_until == PAID + dt.timedelta(days=30)


def test_without_an_active_rule_orders_earn_nothing():
    EarningRuleFactory(is_active=False)

    order = paid_order()

    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 0}


def test_a_rule_change_bumps_its_version_and_only_affects_later_orders(rule):
    first = paid_order("10.00")
    services.earning_rule_update(rule=rule, points_per_unit=Decimal("2"))
    second = paid_order("10.00", customer=first.customer)

    entries = PointsEntry.objects.order_by("pk")
    assert [(e.order, e.amount, e.rule_version) for e in entries] == [
        (first, 10, 1), (second, 20, 2)]


def test_held_points_are_released_after_the_hold_and_only_once(rule):
    order = paid_order("40.00")

    assert services.points_release_due(now=PAID + dt.timedelta(days=13)) == 0
    with time_machine.travel(PAID + dt.timedelta(days=14, minutes=1)):
        assert services.points_release_due() == 1
        assert services.points_release_due() == 0

    assert balance_get(customer=order.customer) == {"balance": 40, "pending": 0}
    release = PointsEntry.objects.get(kind="release")
    assert (release.amount, release.order) == (40, order)


def test_release_handles_many_accounts_in_batches(rule):
    orders = [paid_order("10.00") for _ in range(5)]

    assert services.points_release_due(now=PAID + dt.timedelta(days=15), batch_size=2) == 5

    assert [balance_get(customer=o.customer) for o in orders] == [
        {"balance": 10, "pending": 0}] * 5


def test_a_refund_during_the_hold_cancels_the_held_points(rule):
    order = paid_order("80.00")

    entry = refund(order, "80.00")

    assert (entry.kind, entry.amount, entry.held) == ("reverse", -80, True)
    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 0}
    services.points_release_due(now=PAID + dt.timedelta(days=15))
    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 0}
    assert not PointsEntry.objects.filter(kind="release").exists()


def test_a_refund_after_release_reverses_spent_points_and_blocks_spending(rule):
    order = paid_order("100.00")
    services.points_release_due(now=PAID + dt.timedelta(days=15))
    account = LoyaltyAccount.objects.get(customer=order.customer)
    services.points_spend(account=account, amount=90, key="redemption:1")

    refund(order, "100.00")

    assert balance_get(customer=order.customer) == {"balance": -90, "pending": 0}
    services.points_award(customer=order.customer, points=50, key="bonus:1")
    with pytest.raises(InsufficientPoints) as error:
        services.points_spend(account=account, amount=1, key="redemption:2")
    assert error.value.code == "insufficient_points"
    assert balance_get(customer=order.customer)["balance"] == -40


def test_partial_refunds_reverse_in_proportion_each_once(rule):
    order = paid_order("100.00")

    first = refund(order, "25.00", "r-1")
    replay = services.points_reverse_for_refund(order=order, refund=order.refunds.get())
    second = refund(order, "75.00", "r-2")

    assert (first.amount, second.amount) == (-25, -75)
    assert replay is None
    assert PointsEntry.objects.filter(kind="reverse").count() == 2
    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 0}


def test_partial_refunds_never_reverse_more_than_was_earned(rule):
    order = paid_order("3.00")  # 3 points

    amounts = [refund(order, "1.00", f"r-{n}").amount for n in range(3)]

    assert amounts == [-1, -1, -1]
    assert balance_get(customer=order.customer)["pending"] == 0


def test_a_refund_on_an_order_that_earned_nothing_posts_nothing():
    order = paid_order("50.00")

    assert refund(order, "10.00") is None
    assert not PointsEntry.objects.exists()


def test_guest_orders_earn_nothing(rule):
    paid_order("50.00", customer=None)

    assert not PointsEntry.objects.exists()


def test_a_paid_order_event_earns_pending_points_and_a_refund_event_cancels_them(
    api, rule, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-11-01T10:10:00Z")):
        with django_capture_on_commit_callbacks(execute=True):
            paid = post_event(api, order_event())
        assert paid.status_code == 202
        customer = CustomerFactory(email="ada@example.com")
        assert balance_get(customer=customer) == {"balance": 0, "pending": 59}

        with django_capture_on_commit_callbacks(execute=True):
            refunded = post_event(api, order_event(
                status="refunded", updated_at="2026-11-02T09:00:00Z", refunded_total="59.90"))
        assert refunded.status_code == 202

    assert balance_get(customer=customer) == {"balance": 0, "pending": 0}
    assert list(PointsEntry.objects.order_by("pk").values_list("kind", "amount")) == [
        ("earn", 59), ("reverse", -59)]


def test_a_replayed_order_event_earns_once(api, rule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, order_event())
        post_event(api, order_event(updated_at="2026-11-01T11:00:00Z"))

    assert PointsEntry.objects.filter(kind="earn").count() == 1
    assert balance_get(customer=CustomerFactory(email="ada@example.com"))["pending"] == 59


def test_a_late_paid_event_after_the_cancellation_leaves_no_points(
    api, rule, django_capture_on_commit_callbacks
):
    """The order was paid, then cancelled: it earns and loses its points, as it would have
    with the events in order, so the ledger does not depend on arrival."""
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, order_event(status="cancelled", updated_at="2026-11-01T12:00:00Z"))
        post_event(api, order_event(status="paid", updated_at="2026-11-01T10:05:00Z"))

    assert list(PointsEntry.objects.order_by("pk").values_list("key", "amount")) == [
        ("order:generic:1001:earn", 59), ("order:generic:1001:cancel", -59)]
    assert balance_get(customer=CustomerFactory(email="ada@example.com")) == {
        "balance": 0, "pending": 0}
