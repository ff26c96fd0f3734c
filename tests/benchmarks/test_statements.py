"""SQL statements behind one order event: the API request that stores it and the worker's
apply, for an order from a new customer (the ingestion benchmark's case), in a bare shop and in
a shop with loyalty on (tests/benchmarks/shop.py, as the ingestion benchmark runs it). Tasks
queued after commit (emails, webhooks) are left queued: other processes run them. Printed,
grouped by the table each statement works on, so a change that adds or removes a round trip
shows."""

import json
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import WebhookDelivery
from tests.conftest import api_client, order_event, statements_by_table

from .shop import loyalty_shop


def by_table(queries) -> str:
    """'4 customers_customer, 2 loyalty_earningrule, ...', most first."""
    return ", ".join(f"{n} {table}" for table, n in statements_by_table(queries).most_common())


def post_orders(client, run: str, count: int) -> None:
    """Post `count` order events from new customers, without waking a worker."""
    with mock.patch("customers.tasks.deliveries_apply_task.apply_async"):
        for i in range(count):
            body = json.dumps(order_event(
                id=f"stmt-{run}-{i}", customer={"id": f"c-{run}-{i}",
                                                "email": f"stmt-{run}-{i}@example.com",
                                                "first_name": "Ada", "accepts_marketing": True}))
            response = client.post("/api/v1/events/orders/", data=body,
                                   content_type="application/json")
            assert response.status_code == 202


@pytest.mark.parametrize("shop", ["bare", "loyalty"])
@pytest.mark.django_db(transaction=True)
def test_statements_per_order_event(shop, api_key):
    if shop == "loyalty":
        loyalty_shop()
    client = api_client(api_key)
    with mock.patch("celery.app.task.Task.apply_async"):
        post_orders(client, "warm", 1)  # the first request also notes the key's use
        services.deliveries_apply()
        with CaptureQueriesContext(connection) as request:
            post_orders(client, "one", 1)
        with CaptureQueriesContext(connection) as one:
            services.deliveries_apply()
        post_orders(client, "batch", 100)
        with CaptureQueriesContext(connection) as batch:
            services.deliveries_apply()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"processed"}

    print(f"\nstatements per order event from a new customer ({shop} shop): "
          f"request {len(request)}, worker apply {len(one)} alone, "
          f"{len(batch)} for a batch of 100")
    print(f"  request:     {by_table(request)}")
    print(f"  apply alone: {by_table(one)}")
    print(f"  batch of 100: {by_table(batch)}")
