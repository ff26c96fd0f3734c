"""Shopify webhooks, as a shop's Shopify admin sends them.

The payloads in fixtures/ follow the shape of the example payloads in Shopify's webhook
reference (orders/create, refunds/create, customers/create): 64-bit ids, prices as strings,
refund line subtotals as numbers, times with offsets. Like Shopify's own example order, the
order fixture is a cancelled test order; tests turn it into a real one where they need to.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from customers.models import Customer, ExternalId, Order, WebhookDelivery
from tests.conftest import at, post_signed

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret"
ORDER_ID = "731928460215573910"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def live_order(**overrides) -> dict:
    """The documented example as a real, paid order."""
    order = fixture("shopify_orders_create")
    order.update(test=False, cancelled_at=None, cancel_reason=None, financial_status="paid")
    order.update(overrides)
    return order


def post_shopify(client, topic: str, payload, *, event_id: str = "", secret: str = SECRET,
                 signature: str | None = None):
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": "flywheel-demo.myshopify.com",
    }
    if event_id:
        headers["HTTP_X_SHOPIFY_EVENT_ID"] = event_id
    return post_signed(client, "/api/v1/webhooks/shopify/", payload,
                       signature_header="HTTP_X_SHOPIFY_HMAC_SHA256", secret=secret,
                       signature=signature, **headers)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET
    settings.SHOP_CURRENCY = "USD"  # the documented example shop's currency


def test_a_paid_order_creates_the_customer_and_the_order(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_shopify(anon_api, "orders/create", live_order(), event_id="e-1")

    assert response.status_code == 202
    customer = Customer.objects.get()
    assert customer.email == "grace@example.com"  # the customer's address, not the order's
    assert (customer.first_name, customer.last_name) == ("Grace", "Hopper")
    assert ExternalId.objects.get(customer=customer, source="shopify").external_id == (
        "603851970716743426"
    )
    order = Order.objects.get(source="shopify", external_id=ORDER_ID)
    assert order.customer == customer
    assert order.name == "#1042"
    assert order.status == Order.Status.PAID
    assert order.currency == "USD"
    assert order.total == Decimal("104.40")
    assert order.discount_total == Decimal("11.05")
    assert order.discount_codes == ["WELCOME10"]
    assert order.placed_at == at("2026-03-14T14:12:00Z")
    assert [(li.sku, li.name, li.quantity, li.unit_price) for li in order.lines.all()] == [
        ("SERUM-30", "Hydrating serum 30 ml", 2, Decimal("34.00")),
        ("CREAM-50", "Night cream", 1, Decimal("42.50")),
    ]
    assert customer.orders_count == 1
    assert customer.total_spent == Decimal("104.40")
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED


def test_the_documented_example_is_a_test_order_and_is_ignored(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_shopify(anon_api, "orders/create", fixture("shopify_orders_create"))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.IGNORED


def test_a_voided_cancelled_order_is_kept_as_cancelled_and_not_counted(
    anon_api, django_capture_on_commit_callbacks
):
    order = fixture("shopify_orders_create")
    order["test"] = False

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/cancelled", order)

    assert Order.objects.get().status == Order.Status.CANCELLED
    customer = Customer.objects.get(email="grace@example.com")
    assert customer.orders_count == 0
    assert customer.total_spent == Decimal("0")


@pytest.mark.parametrize(
    ("financial_status", "status"),
    [("pending", "pending"), ("authorized", "pending"), ("partially_paid", "pending"),
     ("paid", "paid")],
)
def test_financial_status_decides_whether_the_order_counts(
    anon_api, django_capture_on_commit_callbacks, financial_status, status
):
    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/updated", live_order(financial_status=financial_status))

    assert Order.objects.get().status == status
    assert Customer.objects.get().orders_count == (1 if status == "paid" else 0)


def test_a_wrong_signature_is_refused_and_nothing_is_kept(anon_api, settings):
    order = live_order()

    wrong = post_shopify(anon_api, "orders/create", order, secret="other-secret")
    missing = post_shopify(anon_api, "orders/create", order, signature="")
    settings.SHOPIFY_WEBHOOK_SECRET = ""
    unconfigured = post_shopify(anon_api, "orders/create", order)

    assert [r.status_code for r in (wrong, missing, unconfigured)] == [401] * 3
    assert wrong.json()["error"]["code"] == "bad_signature"
    assert WebhookDelivery.objects.count() == 0
    assert Order.objects.count() == 0


def test_a_redelivered_event_is_kept_and_applied_once(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_shopify(anon_api, "orders/paid", live_order(), event_id="evt-7")
        again = post_shopify(anon_api, "orders/paid", live_order(), event_id="evt-7")

    assert first.status_code == again.status_code == 202
    assert first.json()["delivery_id"] == again.json()["delivery_id"]
    assert WebhookDelivery.objects.count() == 1
    assert Order.objects.count() == 1
    assert Customer.objects.get().orders_count == 1


def test_an_unknown_topic_is_refused_and_kept_as_failed(anon_api):
    response = post_shopify(anon_api, "products/create", {"id": 1, "title": "Serum"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_topic"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.topic == "products/create"
    assert "unknown_topic" in delivery.error


def test_an_order_with_bad_fields_names_them(anon_api):
    order = live_order(total_price="lots", currency="ZZZ", financial_status="mystery")
    order["line_items"][1]["quantity"] = 0

    response = post_shopify(anon_api, "orders/create", order)

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert {"total_price", "currency", "financial_status"} <= set(fields)
    assert Order.objects.count() == 0


def test_a_refund_lowers_net_spent_and_marks_the_order_partially_refunded(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/paid", live_order(), event_id="e-order")
        response = post_shopify(anon_api, "refunds/create", fixture("shopify_refunds_create"),
                                event_id="e-refund")

    assert response.status_code == 202
    order = Order.objects.get()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.refunded_total == Decimal("34.00")
    assert order.refunds.get().external_id == "902318475610293847"
    assert Customer.objects.get().total_spent == Decimal("70.40")
    assert order.customer.activities.filter(kind="order_refunded").count() == 1


def test_the_same_refund_listed_again_on_the_order_counts_once(
    anon_api, django_capture_on_commit_callbacks
):
    refund = fixture("shopify_refunds_create")
    updated = live_order(financial_status="partially_refunded",
                         updated_at="2026-03-20T14:31:00-05:00", refunds=[refund])

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/paid", live_order())
        post_shopify(anon_api, "refunds/create", refund)
        post_shopify(anon_api, "orders/updated", updated)

    order = Order.objects.get()
    assert order.refunds.count() == 1
    assert order.refunded_total == Decimal("34.00")
    assert Customer.objects.get().total_spent == Decimal("70.40")


def test_a_refund_listed_only_on_the_updated_order_is_counted(
    anon_api, django_capture_on_commit_callbacks
):
    refund = fixture("shopify_refunds_create")
    refund["transactions"] = []  # then the refunded lines' subtotals say how much
    updated = live_order(financial_status="partially_refunded",
                         updated_at="2026-03-20T14:31:00-05:00", refunds=[refund])

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/paid", live_order())
        post_shopify(anon_api, "orders/updated", updated)

    order = Order.objects.get()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.refunded_total == Decimal("34.00")


def test_a_refund_before_its_order_waits_for_it_and_is_applied_when_it_arrives(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_shopify(anon_api, "refunds/create", fixture("shopify_refunds_create"))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.WAITING
    assert delivery.waiting_for == ORDER_ID

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/paid", live_order())

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert Order.objects.get().refunded_total == Decimal("34.00")


def test_a_refund_that_moved_no_money_is_ignored(anon_api, django_capture_on_commit_callbacks):
    refund = fixture("shopify_refunds_create")
    refund["transactions"][0]["status"] = "failure"

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "orders/paid", live_order())
        response = post_shopify(anon_api, "refunds/create", refund)

    assert response.status_code == 200
    assert Order.objects.get().refunded_total == Decimal("0")


def test_a_new_customer_is_created_with_their_marketing_consent(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_shopify(anon_api, "customers/create", fixture("shopify_customers_create"))

    assert response.status_code == 202
    customer = Customer.objects.get()
    assert customer.email == "ada.lovelace@example.com"
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert customer.accepts_marketing is True
    assert customer.marketing_consent_source == "shopify"
    assert customer.external_ids.get().external_id == "706405506930370084"


def test_a_customer_update_finds_the_customer_by_their_shopify_id(
    anon_api, django_capture_on_commit_callbacks
):
    update = fixture("shopify_customers_create")
    update.update(email="ada@newmail.example", last_name="King",
                  email_marketing_consent={"state": "unsubscribed"})

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "customers/create", fixture("shopify_customers_create"))
        post_shopify(anon_api, "customers/update", update)

    customer = Customer.objects.get()
    assert customer.email == "ada@newmail.example"
    assert customer.last_name == "King"
    assert customer.accepts_marketing is False
