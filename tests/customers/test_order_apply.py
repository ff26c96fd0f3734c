"""order_apply and refund_apply: an order's life, whatever order its events arrive in."""

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal

import pytest

from customers.errors import InvalidEvent
from customers.ingestion.events import (
    CustomerData,
    LineData,
    OrderEvent,
    RefundData,
    RefundEvent,
)
from customers.models import Activity, Customer, Order, Refund
from customers.services import order_apply, refund_apply

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
ADA = CustomerData(external_id="c-1", email="ada@example.com", first_name="Ada",
                   last_name="Lovelace")


def event(minutes: int = 0, **overrides) -> OrderEvent:
    """Order 1001 as the shop reports it `minutes` after it was placed."""
    base = OrderEvent(
        source="generic", external_id="1001", name="#1001", status="paid", placed_at=T0,
        updated_at=T0 + dt.timedelta(minutes=minutes), currency="EUR",
        total=Decimal("100.00"), customer=ADA,
        lines=(LineData(sku="SERUM-30", name="Serum", quantity=2, unit_price=Decimal("50.00")),),
    )
    return dataclasses.replace(base, **overrides)


def cumulative_life() -> list[OrderEvent]:
    """Pending, paid, partly refunded, refunded: a source that sends the refunded total."""
    return [
        event(0, status="pending", refunded_total=Decimal("0")),
        event(5, status="paid", refunded_total=Decimal("0")),
        event(10, status="partially_refunded", refunded_total=Decimal("30.00")),
        event(15, status="refunded", refunded_total=Decimal("100.00")),
    ]


def listed_life() -> list[OrderEvent]:
    """The same life from a source that lists each refund (Shopify, WooCommerce)."""
    first = RefundData(external_id="r-1", amount=Decimal("30.00"), created_at=T0)
    second = RefundData(external_id="r-2", amount=Decimal("70.00"), created_at=T0)
    return [
        event(0, status="pending"),
        event(5, status="paid"),
        event(10, status="partially_refunded", refunds=(first,)),
        event(15, status="refunded", refunds=(first, second)),
    ]


@pytest.mark.parametrize("life", [cumulative_life, listed_life])
@pytest.mark.parametrize("arrival", list(itertools.permutations(range(4))))
def test_an_order_ends_refunded_whatever_order_its_events_arrive_in(life, arrival):
    events = life()

    for index in arrival:
        order_apply(event=events[index])

    order = Order.objects.get()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_total == order.total == Decimal("100.00")
    assert sum(order.refunds.values_list("amount", flat=True)) == order.total
    assert order.source_updated_at == T0 + dt.timedelta(minutes=15)
    customer = Customer.objects.get()
    assert customer.activities.filter(kind=Activity.Kind.ORDER_PAID).count() == 1
    assert customer.total_spent == Decimal("0")


def test_a_late_paid_never_brings_a_cancelled_order_back():
    order_apply(event=event(0, status="pending"))
    order_apply(event=event(10, status="cancelled"))

    order = order_apply(event=event(5, status="paid"))

    assert order.status == Order.Status.CANCELLED
    customer = Customer.objects.get()
    assert customer.orders_count == 0
    assert customer.total_spent == Decimal("0")


def test_a_newer_event_can_reopen_a_cancelled_order():
    order_apply(event=event(0, status="cancelled"))

    order = order_apply(event=event(5, status="paid"))

    assert order.status == Order.Status.PAID
    assert Customer.objects.get().orders_count == 1


def test_a_pending_order_does_not_count_until_it_is_paid():
    order = order_apply(event=event(0, status="pending"))

    assert order.status == Order.Status.PENDING
    assert order.paid_at is None
    assert Customer.objects.get().orders_count == 0
    assert not Activity.objects.filter(kind=Activity.Kind.ORDER_PAID).exists()


@pytest.mark.parametrize("life", [cumulative_life, listed_life])
def test_replaying_an_event_changes_nothing(life):
    for each in life()[:3]:
        order_apply(event=each)
    before = (Activity.objects.count(), Refund.objects.count(),
              Order.objects.values_list("status", "refunded_total").get())

    for each in life()[:3]:
        order_apply(event=each)

    after = (Activity.objects.count(), Refund.objects.count(),
             Order.objects.values_list("status", "refunded_total").get())
    assert after == before == (before[0], 1, ("partially_refunded", Decimal("30.00")))


def test_a_refund_larger_than_the_total_is_refused_and_writes_nothing():
    with pytest.raises(InvalidEvent) as raised:
        order_apply(event=event(0, refunded_total=Decimal("100.01")))

    assert raised.value.code == "refund_exceeds_total"
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_refunds_that_add_up_past_the_total_are_refused_and_write_nothing():
    order_apply(event=event(0, refunds=(RefundData("r-1", Decimal("60.00")),)))

    with pytest.raises(InvalidEvent) as raised:
        refund_apply(event=RefundEvent(source="generic", order_external_id="1001",
                                       refund=RefundData("r-2", Decimal("50.00"))))

    assert raised.value.code == "refund_exceeds_total"
    order = Order.objects.get()
    assert order.refunded_total == Decimal("60.00")
    assert list(order.refunds.values_list("external_id", flat=True)) == ["r-1"]
    assert Activity.objects.filter(kind=Activity.Kind.ORDER_REFUNDED).count() == 1


def test_a_refund_for_an_order_not_yet_received_is_refused():
    with pytest.raises(InvalidEvent) as raised:
        refund_apply(event=RefundEvent(source="generic", order_external_id="404",
                                       refund=RefundData("r-1", Decimal("5.00"))))

    assert raised.value.code == "order_unknown"
    assert Refund.objects.count() == 0


def test_a_guest_order_without_an_email_is_kept_without_a_customer():
    order = order_apply(event=event(0, customer=CustomerData()))

    assert order.customer is None
    assert order.status == Order.Status.PAID
    assert Customer.objects.count() == 0


def test_a_test_order_is_ignored():
    assert order_apply(event=event(0, test=True)) is None
    assert Order.objects.count() == 0


def test_customer_stats_follow_two_orders_and_a_refund():
    later = T0 + dt.timedelta(days=3)
    order_apply(event=event(0))
    order_apply(event=event(0, external_id="1002", placed_at=later, updated_at=later,
                            total=Decimal("40.00")))
    refund_apply(event=RefundEvent(source="generic", order_external_id="1001",
                                   refund=RefundData("r-1", Decimal("25.00"))))
    order_apply(event=event(0, external_id="1003", status="pending",
                            placed_at=later + dt.timedelta(days=1)))

    customer = Customer.objects.get()
    assert customer.orders_count == 2
    assert customer.total_spent == Decimal("115.00")
    assert customer.first_order_at == T0
    assert customer.last_order_at == later
