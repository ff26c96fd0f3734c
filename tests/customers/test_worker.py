"""Order events applied by a real Celery worker, including one that dies mid-task."""

import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from customers import services
from customers.models import Activity, Customer, Order, WebhookDelivery
from tests.conftest import order_event, post_event
from tests.worker import Worker, broker_reset

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

Status = WebhookDelivery.Status
VISIBILITY_TIMEOUT = 3


def wait_until(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)
    return result


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real workers on the test database; each is killed when the test ends."""
    from config.celery import app

    broker_reset(settings.CELERY_BROKER_URL)
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CONN_MAX_AGE": "0",
    }
    workers = []

    def start() -> Worker:
        worker = Worker(env=env, log_path=tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        return worker

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield start
    finally:
        app.conf.task_always_eager = previous
        for worker in workers:
            worker.kill()
        broker_reset(settings.CELERY_BROKER_URL)


def settled(delivery_id: int) -> WebhookDelivery | None:
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    return delivery if delivery.status != Status.RECEIVED else None


def a_query_waits_on_my_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks"
                       " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")
        return cursor.fetchone()[0] > 0


def test_a_posted_order_event_is_applied_by_the_worker(api, start_worker):
    start_worker().wait_ready()

    response = post_event(api, order_event())

    assert response.status_code == 202
    delivery = wait_until(lambda: settled(response.json()["delivery_id"]), timeout=30,
                          what="the worker never processed the delivery")
    assert delivery.status == Status.PROCESSED
    assert delivery.attempts == 1
    order = Order.objects.get()
    assert delivery.order == order
    assert order.status == Order.Status.PAID
    assert order.customer.email == "ada@example.com"
    assert order.customer.orders_count == 1


def test_a_worker_killed_mid_task_leaves_the_delivery_to_the_next_one(api, start_worker):
    ada = services.customer_upsert(email="ada@example.com")
    delivery_id = post_event(api, order_event()).json()["delivery_id"]

    with transaction.atomic():
        # Holding the customer's row lock stops the worker in the middle of applying the
        # batch: it has taken the delivery and is about to update Ada.
        Customer.objects.select_for_update().get(pk=ada.pk)
        doomed = start_worker()
        wait_until(a_query_waits_on_my_lock, timeout=30,
                   what="the first worker never reached the delivery")
        doomed.kill()
    assert "deliveries_apply_task" in doomed.log()
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts) == (Status.RECEIVED, 0)

    # A starting worker puts back unacknowledged messages older than the visibility timeout
    # (later sweeps are minutes apart), so it starts once the timeout has passed.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    start_worker()
    delivery = wait_until(lambda: settled(delivery_id), timeout=45,
                          what="the message was never redelivered")

    assert delivery.status == Status.PROCESSED
    assert delivery.attempts == 1
    assert Order.objects.count() == 1
    assert Activity.objects.filter(kind=Activity.Kind.ORDER_PAID).count() == 1
