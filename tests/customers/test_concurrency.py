"""Ten copies of one order event at once, on PostgreSQL with real threads: counted once."""

import pytest

from customers import services
from customers.ingestion.generic import parse_order
from customers.models import Activity, Customer, Order, WebhookDelivery
from tests.conftest import api_client, at_once, order_event, post_event
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COPIES = 10


def run_at_once(work) -> list:
    """COPIES threads at once; none of them may fail."""
    results = at_once(COPIES, work)
    assert [r for r in results if isinstance(r, Exception)] == []
    return results


def assert_applied_once():
    customer = Customer.objects.get()
    assert customer.email == "ada@example.com"
    assert customer.orders_count == 1
    assert Order.objects.get().customer == customer
    assert Activity.objects.filter(kind=Activity.Kind.ORDER_PAID).count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.CUSTOMER_CREATED).count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.CONSENT_CHANGED).count() == 1


def test_ten_workers_applying_the_same_order_count_it_once():
    event = parse_order(order_event())

    orders = run_at_once(lambda i: services.order_apply(event=event))

    assert {order.pk for order in orders} == {Order.objects.get().pk}
    assert_applied_once()


def test_ten_deliveries_of_the_same_order_posted_at_once_count_it_once(api_key):
    # Without an Idempotency-Key each post is its own delivery; after commit each one is
    # applied in its request thread (eager Celery), so ten applications race.
    responses = run_at_once(lambda i: post_event(api_client(api_key), order_event()))

    assert [r.status_code for r in responses] == [202] * COPIES
    assert WebhookDelivery.objects.count() == COPIES
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        WebhookDelivery.Status.PROCESSED
    }
    assert_applied_once()


def test_ten_posts_with_the_same_idempotency_key_store_one_delivery(api_key):
    responses = run_at_once(
        lambda i: post_event(api_client(api_key), order_event(), HTTP_IDEMPOTENCY_KEY="k-1")
    )

    delivery = WebhookDelivery.objects.get()
    assert {r.status_code for r in responses} == {202}
    assert [r.json() for r in responses] == [
        {"status": "accepted", "delivery_id": delivery.pk}
    ] * COPIES
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.attempts == 1
    assert_applied_once()


def test_ten_batches_recording_the_same_timeline_keys_at_once_record_and_announce_each_once():
    """activity_record_many: each of ten transactions finds the keys free and inserts them
    at once; the unique key lets one of them record each row and the others skip it, with no
    error, and only the transaction that recorded a row announces it."""
    customer = CustomerFactory()
    rows = [{"customer_id": customer.pk, "kind": "review_posted", "key": f"shop:review:{n}"}
            for n in range(3)]

    recorded = run_at_once(lambda i: services.activity_record_many(rows=rows))

    assert Activity.objects.filter(key__startswith="shop:review:").count() == 3
    assert sorted(a.key for result in recorded for a in result) == [
        "shop:review:0", "shop:review:1", "shop:review:2"]
