"""kernel.bulk.update_each: many rows, each with its own values, in one UPDATE (on SQLite and
on PostgreSQL, where the values go as one array a column)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import WebhookDelivery
from kernel.bulk import update_each
from loyalty.models import LoyaltyAccount
from tests.factories import LoyaltyAccountFactory, OrderFactory, WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


def test_each_row_takes_its_own_values_and_all_the_same_ones_in_one_statement():
    first, second, untouched = WebhookDeliveryFactory.create_batch(3, error="boom")
    order = OrderFactory()
    done = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.UTC)

    with CaptureQueriesContext(connection) as queries:
        update_each(WebhookDelivery, {
            first.pk: {"status": "processed", "order": order.pk, "processed_at": done},
            second.pk: {"status": "waiting", "order": None, "processed_at": None},
        }, error="")

    assert len(queries) == 1
    rows = {d.pk: (d.status, d.order_id, d.processed_at, d.error)
            for d in WebhookDelivery.objects.all()}
    assert rows[first.pk] == ("processed", order.pk, done, "")
    assert rows[second.pk] == ("waiting", None, None, "")
    assert rows[untouched.pk][3] == "boom"  # only the rows named change


def test_add_adds_to_what_each_row_holds():
    ada = LoyaltyAccountFactory(balance=100, pending=30)
    bo = LoyaltyAccountFactory(balance=5, pending=0)

    update_each(LoyaltyAccount, {ada.pk: {"balance": 40, "pending": -30},
                                 bo.pk: {"balance": -5, "pending": 12}}, add=True)

    ada.refresh_from_db()
    bo.refresh_from_db()
    assert (ada.balance, ada.pending) == (140, 0)
    assert (bo.balance, bo.pending) == (0, 12)
