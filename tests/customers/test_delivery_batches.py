"""Deliveries applied together: a worker drains what has been received in batches, one
transaction and a few set-based statements per batch, with the same outcome as one by one."""

import datetime as dt
import json
import threading
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import Activity, Customer, Order, WebhookDelivery
from tests.conftest import deliveries_held, order_event, receive

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def queued():
    """Deliveries are kept as received and the wake-ups counted, instead of being applied."""
    with deliveries_held() as wake_ups:
        yield wake_ups


def shopper(i: int, **overrides) -> dict:
    """An order event from shopper i (new to the shop), with any field overridden."""
    return order_event(**{"id": f"o-{i}", "name": f"#{i}", "customer": {
        "id": f"c-{i}", "email": f"shopper-{i}@example.com", "first_name": "Ada",
        "accepts_marketing": True}, **overrides})


def test_a_batch_applies_every_order_as_one_by_one_would(queued):
    deliveries = [receive(shopper(i)) for i in range(5)]

    assert services.deliveries_apply() == 5

    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
        assert delivery.order.customer.email == delivery.order.customer.email.lower()
    assert Order.objects.filter(status=Order.Status.PAID).count() == 5
    assert set(Customer.objects.values_list("orders_count", "total_spent")) == {
        (1, Decimal("59.90"))}
    timeline = Activity.objects.values_list("kind", flat=True)
    for kind in ("customer_created", "consent_changed", "order_paid", "stage_changed"):
        assert list(timeline.filter(kind=kind)).count(kind) == 5


def test_one_wake_up_per_batch_not_per_delivery(queued):
    receive(shopper(1))
    receive(shopper(2))
    assert queued.call_count == 1  # the queued task will find both
    assert queued.call_args.kwargs == {"countdown": 0.5}  # INGESTION_BATCH_WINDOW

    services.deliveries_apply()  # the task starts: the next delivery needs another
    receive(shopper(3))
    assert queued.call_count == 2


def test_a_web_process_asks_the_shared_cache_once_per_batch_window_not_per_delivery(queued):
    from django.core.cache import cache

    from config.celery import app

    start = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    app.conf.task_always_eager = False  # as in production: the task starts after its countdown
    with mock.patch("customers.services.deliveries.cache", wraps=cache) as shared, \
            time_machine.travel(start, tick=False) as clock:
        receive(shopper(1))  # queues the task, which cannot start before 10:00:00.5
        clock.shift(0.3)
        receive(shopper(2))
        receive(shopper(3))
        assert queued.call_count == 1
        # The first delivery's look and flag, nothing since.
        assert [call[0] for call in shared.method_calls] == ["get", "add"]

        clock.shift(0.3)  # the task may have started: ask again
        receive(shopper(4))
        assert len(shared.method_calls) > 1
        services.deliveries_apply()
        assert WebhookDelivery.objects.filter(status=Status.PROCESSED).count() == 4
        receive(shopper(5))
        assert queued.call_count == 2


def test_while_a_task_waits_for_a_busy_worker_a_delivery_costs_one_look(queued):
    from django.core.cache import cache

    from config.celery import app
    from customers.services.deliveries import WAKE_KEY

    app.conf.task_always_eager = False
    start = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        # Another web process queued a task due a second ago; the worker has not taken it.
        cache.set(WAKE_KEY, start.timestamp() - 1, timeout=10)
        with mock.patch("customers.services.deliveries.cache", wraps=cache) as shared:
            receive(shopper(1))
            receive(shopper(2))

    assert [call[0] for call in shared.method_calls] == ["get", "get"]
    assert queued.call_count == 0  # the queued task will find both
    services.deliveries_apply()
    assert WebhookDelivery.objects.filter(status=Status.PROCESSED).count() == 2


def test_two_events_for_one_order_in_a_batch_apply_in_turn(queued):
    receive(shopper(1, status="pending", updated_at="2026-11-01T10:00:00Z"))
    receive(shopper(1, status="paid", updated_at="2026-11-01T10:05:00Z"))
    receive(shopper(1, status="refunded", refunded_total="59.90",
                    updated_at="2026-11-01T12:00:00Z"))

    services.deliveries_apply()

    order = Order.objects.get()
    assert (order.status, order.refunded_total) == (Order.Status.REFUNDED, Decimal("59.90"))
    assert order.lines.count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.ORDER_PAID).count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.ORDER_REFUNDED).count() == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}


def test_one_customer_with_two_orders_in_a_batch_is_one_customer(queued):
    receive(shopper(1))
    receive(shopper(1, id="o-2", name="#2", total="10.00", lines=[]))

    services.deliveries_apply()

    customer = Customer.objects.get()
    assert (customer.orders_count, customer.total_spent) == (2, Decimal("69.90"))
    assert customer.external_ids.count() == 1
    assert customer.activities.filter(kind=Activity.Kind.CUSTOMER_CREATED).count() == 1
    assert customer.activities.filter(kind=Activity.Kind.CONSENT_CHANGED).count() == 1


def test_a_delivery_that_cannot_apply_fails_alone_and_the_rest_of_its_batch_applies(queued):
    receive(shopper(0, refunded_total="10.00"))
    services.deliveries_apply()
    first = receive(shopper(1))
    bad = receive(shopper(0, refunded_total="10.00", currency="USD",
                          updated_at="2026-11-02T10:00:00Z"))
    last = receive(shopper(2))

    services.deliveries_apply()

    for delivery in (first, last):
        delivery.refresh_from_db()
        assert delivery.status == Status.PROCESSED
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (Status.FAILED, 1)
    assert "currency_changed" in bad.error
    assert Order.objects.count() == 3


def test_a_refund_waits_for_its_order_without_holding_up_its_batch(queued):
    first = receive(shopper(1))
    refund = receive(
        {"id": 99, "order_id": 12345, "created_at": "2026-11-02T10:00:00Z",
         "transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]},
        source="shopify", topic="refunds/create")

    services.deliveries_apply()

    first.refresh_from_db()
    refund.refresh_from_db()
    assert first.status == Status.PROCESSED
    assert (refund.status, refund.waiting_for, refund.error) == (Status.WAITING, "12345", "")


def test_a_batch_leaves_deliveries_the_api_kept_as_failed(queued):
    receive({"id": "no-fields"})  # refused at the door, kept as failed

    assert services.deliveries_apply() == 0
    assert WebhookDelivery.objects.get().status == Status.FAILED


@pytest.mark.usefixtures("inserted_not_copied")
def test_a_batch_costs_the_same_statements_for_5_orders_as_for_40(queued):
    def statements(count: int, run: str) -> int:
        for i in range(count):
            receive(shopper(i, id=f"{run}-{i}", customer={
                "id": f"{run}-c-{i}", "email": f"{run}-{i}@example.com",
                "accepts_marketing": True}))
        with CaptureQueriesContext(connection) as queries:
            services.deliveries_apply()
        assert WebhookDelivery.objects.filter(status=Status.RECEIVED).count() == 0
        return len(queries)

    statements(1, "warm")
    # (SQLite caps the parameters of one statement, so much larger batches split a few.)
    assert statements(40, "many") == statements(5, "few")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_skips_deliveries_another_worker_holds(queued):
    held, free = receive(shopper(1)), receive(shopper(2))
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            WebhookDelivery.objects.select_for_update().get(pk=held.pk)
            holding.set()
            release.wait(timeout=30)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert services.deliveries_apply() == 1
    finally:
        release.set()
        thread.join()

    held.refresh_from_db()
    free.refresh_from_db()
    assert (held.status, free.status) == (Status.RECEIVED, Status.PROCESSED)


def test_a_delivery_that_trips_a_fault_fails_alone_and_never_holds_up_the_queue(queued):
    from customers.signals import orders_paid

    def fault(sender, *, orders, **kwargs):
        if any(order.external_id == "o-2" for order in orders):
            raise RuntimeError("a receiver's bug")

    receive(shopper(1))
    poison = receive(shopper(2))
    receive(shopper(3))
    orders_paid.connect(fault, dispatch_uid="test_fault")
    try:
        assert services.deliveries_apply() == 3
    finally:
        orders_paid.disconnect(dispatch_uid="test_fault")

    poison.refresh_from_db()
    assert poison.status == Status.FAILED
    assert poison.error == "internal_error: RuntimeError: a receiver's bug"
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["o-1", "o-3"]
    assert not Customer.objects.filter(email="shopper-2@example.com").exists()


def test_beat_sweeps_up_received_deliveries_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Apply received deliveries")
    assert task.task == "customers.tasks.deliveries_apply_task"
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)


def test_the_task_applies_what_was_received(queued):
    from customers.tasks import deliveries_apply_task

    delivery = receive(shopper(1))
    deliveries_apply_task.apply()

    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED


def test_check_warns_when_a_broker_is_used_without_a_shared_cache(settings):
    from customers.checks import shared_cache_with_a_broker

    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert shared_cache_with_a_broker(None) == []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in shared_cache_with_a_broker(None)] == ["customers.W001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15"}}
    assert shared_cache_with_a_broker(None) == []


def test_set_based_listeners_hear_each_batch_once(queued):
    from customers.signals import activities_recorded, orders_paid

    heard = []

    def on_orders(sender, *, orders, **kwargs):
        heard.append(("orders", sorted(o.external_id for o in orders)))

    def on_activities(sender, *, activities, **kwargs):
        heard.append(("activities", sorted({a.kind for a in activities})))

    for i in range(3):
        receive(shopper(i))
    orders_paid.connect(on_orders, dispatch_uid="test_orders")
    activities_recorded.connect(on_activities, dispatch_uid="test_activities")
    try:
        services.deliveries_apply()
    finally:
        orders_paid.disconnect(dispatch_uid="test_orders")
        activities_recorded.disconnect(dispatch_uid="test_activities")

    assert heard == [
        ("activities", ["consent_changed", "customer_created"]),
        ("activities", ["order_paid"]),
        ("orders", ["o-0", "o-1", "o-2"]),
        ("activities", ["stage_changed"]),
    ]


def test_customer_events_in_a_batch_are_applied_together_and_one_without_email_fails(queued):
    from pathlib import Path

    fixture = json.loads((Path(__file__).parent / "fixtures" /
                          "shopify_customers_create.json").read_text())
    grace = {**fixture, "id": 2, "email": "grace@example.com", "first_name": "Grace"}
    nobody = {**fixture, "id": 3, "email": None}
    ada, grace, nobody = (receive(payload, source="shopify", topic="customers/create")
                          for payload in (fixture, grace, nobody))

    services.deliveries_apply()

    for delivery in (ada, grace, nobody):
        delivery.refresh_from_db()
    assert (ada.status, grace.status) == (Status.PROCESSED, Status.PROCESSED)
    assert (nobody.status, nobody.error.split(":")[0]) == (Status.FAILED, "email_required")
    assert sorted(Customer.objects.values_list("email", "first_name")) == [
        ("ada.lovelace@example.com", "Ada"), ("grace@example.com", "Grace")]


def test_beats_sweep_applies_a_waiting_refund_even_if_the_waiting_flag_was_lost(queued):
    from django.core.cache import cache

    from customers.services.deliveries import WAITING_KEY

    refund = receive(
        {"id": 99, "order_id": 12345, "created_at": "2026-11-02T10:00:00Z",
         "transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]},
        source="shopify", topic="refunds/create")
    services.deliveries_apply()
    receive({"id": 12345, "financial_status": "paid", "currency": "EUR", "total_price": "20.00",
             "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z",
             "customer": {"id": 7, "email": "sam@example.com"}},
            source="shopify", topic="orders/paid")
    cache.delete(WAITING_KEY)  # a Redis restart

    services.deliveries_apply()
    refund.refresh_from_db()
    assert refund.status == Status.WAITING

    services.deliveries_apply(sweep=True)  # beat's minute run
    refund.refresh_from_db()
    assert refund.status == Status.PROCESSED
    assert Order.objects.get().refunded_total == Decimal("5.00")
