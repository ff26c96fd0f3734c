"""The generic order event endpoint, as a shop's system uses it."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Activity, Customer, Order, WebhookDelivery
from tests.conftest import order_event, post_event

pytestmark = pytest.mark.django_db


def table(sql: str) -> str:
    """The table a statement reads or writes; SAVEPOINT and the like name none."""
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql)
    return match.group(1) if match else sql.split()[0]


def test_a_paid_order_event_creates_the_customer_and_the_order(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, order_event())

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    order = Order.objects.get(source="generic", external_id="1001")
    assert order.status == Order.Status.PAID
    assert str(order.total) == "59.90"
    assert [(li.sku, li.quantity) for li in order.lines.all()] == [("SERUM-30", 2)]
    customer = Customer.objects.get(email="ada@example.com")
    assert order.customer == customer
    assert customer.orders_count == 1
    assert str(customer.total_spent) == "59.90"
    assert customer.accepts_marketing is True
    assert customer.marketing_consent_source == "generic"
    kinds = set(customer.activities.values_list("kind", flat=True))
    assert {"customer_created", "order_paid", "consent_changed"} <= kinds
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.order == order


def test_the_same_event_twice_counts_once(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, order_event())
        post_event(api, order_event())

    assert Order.objects.count() == 1
    assert Activity.objects.filter(kind="order_paid").count() == 1
    assert Customer.objects.get().orders_count == 1


def test_idempotency_key_replays_the_answer_and_refuses_a_different_body(api):
    first = post_event(api, order_event(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_event(api, order_event(), HTTP_IDEMPOTENCY_KEY="k-1")
    other = post_event(api, order_event(total="10.00"), HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert WebhookDelivery.objects.count() == 1


def test_without_a_key_the_request_is_refused(anon_api):
    response = post_event(anon_api, order_event())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total": "-5.00"}, "total"),
        ({"currency": "XXY"}, "currency"),
        ({"status": "shipped"}, "status"),
        ({"customer": {"first_name": "No id"}}, "customer"),
        ({"lines": [{"name": "x", "quantity": 0, "price": "1"}]}, "lines.0.quantity"),
        ({"placed_at": "yesterday"}, "placed_at"),
    ],
)
def test_bad_fields_get_a_clear_422_and_nothing_is_applied(api, overrides, field):
    response = post_event(api, order_event(**overrides))

    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_event"
    assert field in body["fields"]
    assert Order.objects.count() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert field in delivery.error


def test_missing_required_fields_are_all_named(api):
    event = order_event()
    for name in ("id", "currency", "total"):
        del event[name]

    response = post_event(api, event)

    assert response.status_code == 422
    assert {"id", "currency", "total"} <= set(response.json()["error"]["fields"])


def test_a_refund_larger_than_the_order_is_refused(api):
    response = post_event(api, order_event(refunded_total="100.00"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "refund_exceeds_total"
    assert Order.objects.count() == 0


def test_bad_json_and_wrong_content_type_are_kept_as_failed(api):
    bad_json = api.post("/api/v1/events/orders/", data="{not json",
                        content_type="application/json")
    form = api.post("/api/v1/events/orders/", data=json.dumps(order_event()),
                    content_type="text/plain")

    assert bad_json.status_code == 422
    assert bad_json.json()["error"]["code"] == "invalid_json"
    assert form.status_code == 415
    assert form.json()["error"]["code"] == "unsupported_media_type"
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["failed"] * 2


def test_test_orders_are_acknowledged_and_ignored(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, order_event(test=True))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert Order.objects.count() == 0


AGREEMENT_CASES = [
    {},
    {"id": "", "name": "x" * 65},
    {"id": 1001, "total": 59.9, "discount_total": "1.5"},
    {"total": "59.901"},
    {"total": "1000000000000.00"},
    {"refunded_total": "-1"},
    {"status": "PAID"},
    {"status": None},
    {"currency": "eur"},
    {"currency": "EURO"},
    {"placed_at": "2026-11-01"},
    {"updated_at": 5},
    {"customer": None},
    {"customer": {}},
    {"customer": {"email": "not-an-email"}},
    {"customer": {"id": "c-9"}},
    {"customer": {"email": "grace@example.com", "accepts_marketing": "maybe"}},
    {"customer": {"email": "grace@example.com", "accepts_marketing": 0}},
    {"customer": {"id": "c-1", "first_name": "x" * 151}},
    {"lines": "serum"},
    {"lines": [{"name": "Serum", "quantity": 100_001, "price": "1.00"}]},
    {"lines": [{"sku": "S", "quantity": 1, "price": "1.00"}]},
    {"lines": [{"name": "Serum", "quantity": "two", "price": "-1"}]},
    {"lines": [{"name": "Serum", "quantity": 1, "price": "1.00"}] * 501},
    {"discount_codes": ["WELCOME10", ""]},
    {"discount_codes": ["x" * 65]},
    {"discount_codes": ["C"] * 51},
    {"referral_code": "r" * 33},
    {"test": "yes"},
    {"test": "perhaps"},
    {"placed_at": "2024-02-30T10:00:00Z"},
    {"placed_at": "9999-12-31T00:00:00Z"},
    {"updated_at": "1989-12-31T23:59:59Z"},
    {"updated_at": "0001-01-01T00:00:00+01:00"},
    {"customer": {"id": "c-1", "first_name": "Ada\x00"}},
    {"customer": {"id": "c-1", "last_name": "\ud800"}},
    {"lines": [{"name": "Serum", "quantity": 10**20, "price": "1e30"}]},
]


@pytest.mark.parametrize("overrides", AGREEMENT_CASES)
def test_the_parser_enforces_what_the_schema_documents(overrides):
    """The schema's serializer and the parser, both made from generic.ORDER, accept the same
    events and name the same fields when they refuse one."""
    from customers.errors import InvalidEvent
    from customers.ingestion.generic import OrderEventSerializer, parse_order
    from kernel.errors import flatten_errors

    payload = {**order_event(), **overrides}
    if overrides == {}:
        payload = {}
    serializer = OrderEventSerializer(data=payload)
    documented = set() if serializer.is_valid() else set(flatten_errors(serializer.errors))
    try:
        parse_order(payload)
        parsed = set()
    except InvalidEvent as exc:
        parsed = set(exc.fields)
    assert parsed == documented


def test_a_new_event_costs_one_insert_once_its_key_is_known(api, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    post_event(api, order_event(id="first"), HTTP_IDEMPOTENCY_KEY="k-first")  # checks the key

    with CaptureQueriesContext(connection) as queries:
        response = post_event(api, order_event(id="second"), HTTP_IDEMPOTENCY_KEY="k-second")

    assert response.status_code == 202
    assert [table(q["sql"]) for q in queries] == ["customers_webhookdelivery"]
    assert WebhookDelivery.objects.get(event_id="k-second").pk == response.json()["delivery_id"]
