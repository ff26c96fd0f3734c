"""SQL statements behind one order event: the API request that stores it and the worker's
apply, for an order from a new customer (the ingestion benchmark's case). Printed, grouped by
the table each statement works on, so a change that adds or removes a round trip shows."""

import json
import re
from collections import Counter
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import WebhookDelivery
from tests.conftest import api_client, order_event

TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"')


def by_table(queries) -> str:
    """'4 customers_customer, 2 loyalty_earningrule, ...'; savepoints and transaction control
    are counted as `transaction`."""
    counts = Counter()
    for query in queries:
        match = TABLE.search(query["sql"])
        counts[match.group(1) if match else "transaction"] += 1
    return ", ".join(f"{n} {table}" for table, n in counts.most_common())


@pytest.mark.django_db(transaction=True)
def test_statements_per_order_event(api_key):
    client = api_client(api_key)
    rounds = []
    for i in range(3):  # the first request also notes the key's use; report the last
        body = json.dumps(order_event(
            id=f"stmt-{i}", customer={"id": f"c-stmt-{i}", "email": f"stmt-{i}@example.com",
                                      "first_name": "Ada", "accepts_marketing": True}))
        with (mock.patch("customers.tasks.delivery_process_task.delay_on_commit") as queued,
              CaptureQueriesContext(connection) as request):
            response = client.post("/api/v1/events/orders/", data=body,
                                   content_type="application/json")
        assert response.status_code == 202
        delivery_id = queued.call_args.args[0]
        with CaptureQueriesContext(connection) as apply:
            services.delivery_process(delivery_id=delivery_id)
        assert WebhookDelivery.objects.get(pk=delivery_id).status == "processed"
        rounds.append((request, apply))

    request, apply = rounds[-1]
    print(f"\nstatements per order event from a new customer ({connection.vendor}): "
          f"request {len(request)}, worker apply {len(apply)}")
    print(f"  request: {by_table(request)}")
    print(f"  apply:   {by_table(apply)}")
