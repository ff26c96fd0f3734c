"""kernel.bulk: update_each, many rows each with its own values in one UPDATE (on SQLite and on
PostgreSQL, where the values go as one array a column); objs_upsert, rows made or refreshed;
objs_add, rows added."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import CustomerScore, ExternalId, WebhookDelivery
from kernel.bulk import COPY_FROM, objs_add, objs_upsert, update_each
from loyalty.models import LoyaltyAccount
from tests.factories import (
    CustomerFactory,
    LoyaltyAccountFactory,
    OrderFactory,
    WebhookDeliveryFactory,
)

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


@pytest.mark.parametrize("size", [2, COPY_FROM], ids=["one INSERT", "by COPY on PostgreSQL"])
def test_objs_upsert_inserts_the_new_and_updates_the_taken(size):
    """customers_stage_refresh's scores: a customer's score is made or refreshed; its primary
    key is the customer."""
    as_of = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.UTC)
    known = CustomerFactory.create_batch(size // 2)
    for customer in known:
        CustomerScore.objects.create(customer=customer, stage="prospect", stage_since=as_of,
                                     as_of=as_of, orders=0)
    new = CustomerFactory.create_batch(size - size // 2)
    scores = [CustomerScore(customer=customer, stage="first_time", stage_since=as_of,
                            as_of=as_of, orders=1, recency_days=3)
              for customer in [*known, *new]]

    objs_upsert(scores, unique=("customer",), update=("stage", "orders"))

    assert [score.pk for score in scores] == [customer.pk for customer in [*known, *new]]
    rows = dict(CustomerScore.objects.values_list("customer", "stage"))
    assert rows == {customer.pk: "first_time" for customer in [*known, *new]}
    recency = dict(CustomerScore.objects.values_list("customer", "recency_days"))
    # A known row keeps what `update` does not name; a new row takes everything.
    assert {recency[c.pk] for c in known} == {None}
    assert {recency[c.pk] for c in new} == {3}


@pytest.mark.parametrize("size", [2, COPY_FROM], ids=["one INSERT", "by COPY on PostgreSQL"])
def test_objs_add_writes_every_row_and_skips_taken_ones_when_told(size):
    """A batch's new customers' platform ids: each is written, and an id another customer
    holds already is left to them."""
    taken = ExternalId.objects.create(customer=CustomerFactory(), source="shopify",
                                      external_id="c-0")
    customers = CustomerFactory.create_batch(size)
    links = [ExternalId(customer=customer, source="shopify", external_id=f"c-{n}")
             for n, customer in enumerate(customers)]

    objs_add(links, ignore_conflicts=True)

    rows = {row.external_id: row for row in ExternalId.objects.all()}
    assert len(rows) == size
    assert rows["c-0"].customer_id == taken.customer_id
    assert {rows[f"c-{n}"].customer_id for n in range(1, size)} == {
        customer.pk for customer in customers[1:]}
