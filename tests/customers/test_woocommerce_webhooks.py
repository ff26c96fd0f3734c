"""WooCommerce webhooks, as a WordPress shop sends them.

fixtures/woocommerce_order.json follows the order object of WooCommerce's REST API (v3), which
is what an order.created / order.updated webhook carries: ids as numbers, money as strings but
a line's unit `price` as a number, local and `_gmt` times without an offset, `customer_id` 0
for guests, refunds listed with negative totals.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from customers.ingestion import woocommerce
from customers.models import Customer, ExternalId, Order, WebhookDelivery
from tests.conftest import at, post_signed

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret"


def woo_order(**overrides) -> dict:
    order = json.loads((FIXTURES / "woocommerce_order.json").read_text())
    order.update(overrides)
    return order


def post_woo(client, topic: str, payload, *, delivery_id: str = "", secret: str = SECRET,
             signature: str | None = None):
    headers = {
        "HTTP_X_WC_WEBHOOK_TOPIC": topic,
        "HTTP_X_WC_WEBHOOK_SOURCE": "https://shop.example.com/",
    }
    if delivery_id:
        headers["HTTP_X_WC_WEBHOOK_DELIVERY_ID"] = delivery_id
    return post_signed(client, "/api/v1/webhooks/woocommerce/", payload,
                       signature_header="HTTP_X_WC_WEBHOOK_SIGNATURE", secret=secret,
                       signature=signature, **headers)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WOOCOMMERCE_WEBHOOK_SECRET = SECRET


def test_a_processing_order_creates_the_customer_and_a_paid_order(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_woo(anon_api, "order.created", woo_order(), delivery_id="d-1")

    assert response.status_code == 202
    customer = Customer.objects.get()
    assert customer.email == "ada@example.com"
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert ExternalId.objects.get(customer=customer).external_id == "27"
    order = Order.objects.get(source="woocommerce", external_id="4120")
    assert order.customer == customer
    assert order.status == Order.Status.PAID
    assert (order.currency, order.total, order.discount_total) == (
        "EUR", Decimal("66.10"), Decimal("6.80"))
    assert order.discount_codes == ["spring10"]
    assert order.placed_at == at("2026-03-14T10:20:05Z")  # the _gmt time, read as UTC
    assert [(li.sku, li.quantity, li.unit_price) for li in order.lines.all()] == [
        ("VC-SERUM-30", 2, Decimal("24.50")),
        ("LIP-01", 3, Decimal("6.33")),
    ]
    assert customer.orders_count == 1
    assert customer.total_spent == Decimal("66.10")


@pytest.mark.parametrize(
    ("woo_status", "status"),
    [("pending", "pending"), ("on-hold", "pending"), ("checkout-draft", "pending"),
     ("completed", "paid"), ("cancelled", "cancelled"), ("failed", "cancelled")],
)
def test_woocommerce_statuses(anon_api, django_capture_on_commit_callbacks, woo_status, status):
    with django_capture_on_commit_callbacks(execute=True):
        post_woo(anon_api, "order.updated", woo_order(status=woo_status))

    assert Order.objects.get().status == status
    assert Customer.objects.get().orders_count == (1 if status == "paid" else 0)


def test_a_guest_order_has_no_woocommerce_customer_id(
    anon_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_woo(anon_api, "order.created", woo_order(customer_id=0))

    customer = Customer.objects.get(email="ada@example.com")
    assert Order.objects.get().customer == customer
    assert ExternalId.objects.count() == 0


def test_refunds_make_the_order_partially_then_fully_refunded(
    anon_api, django_capture_on_commit_callbacks
):
    partial = woo_order(date_modified_gmt="2026-03-15T09:00:00",
                        refunds=[{"id": 4131, "reason": "Leaking cap", "total": "-16.10"}])
    full = woo_order(status="refunded", date_modified_gmt="2026-03-16T09:00:00",
                     refunds=[{"id": 4140, "reason": "", "total": "-50.00"},
                              {"id": 4131, "reason": "Leaking cap", "total": "-16.10"}])

    with django_capture_on_commit_callbacks(execute=True):
        post_woo(anon_api, "order.created", woo_order())
        post_woo(anon_api, "order.updated", partial)
    order = Order.objects.get()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.refunded_total == Decimal("16.10")
    assert Customer.objects.get().total_spent == Decimal("50.00")

    with django_capture_on_commit_callbacks(execute=True):
        post_woo(anon_api, "order.updated", full)
        post_woo(anon_api, "order.updated", full)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_total == order.total
    assert sorted(order.refunds.values_list("external_id", flat=True)) == ["4131", "4140"]
    assert Customer.objects.get().total_spent == Decimal("0")


def test_refunds_larger_than_the_order_are_refused(anon_api):
    response = post_woo(anon_api, "order.updated",
                        woo_order(refunds=[{"id": 1, "reason": "", "total": "-70.00"}]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "refund_exceeds_total"
    assert Order.objects.count() == 0


def test_an_unknown_status_and_bad_fields_are_named(anon_api):
    order = woo_order(status="trash", date_created_gmt="last week")
    order["billing"]["email"] = "not-an-email"
    order["refunds"] = [{"id": 9, "total": "a lot"}]

    response = post_woo(anon_api, "order.created", order)

    assert response.status_code == 422
    assert {"status", "date_created_gmt", "billing.email", "refunds.0.total"} <= set(
        response.json()["error"]["fields"])
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_a_wrong_signature_is_refused_and_nothing_is_kept(anon_api):
    response = post_woo(anon_api, "order.created", woo_order(), secret="guess")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert WebhookDelivery.objects.count() == 0


def test_a_redelivery_is_applied_once(anon_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_woo(anon_api, "order.created", woo_order(), delivery_id="abc")
        post_woo(anon_api, "order.created", woo_order(), delivery_id="abc")

    assert WebhookDelivery.objects.count() == 1
    assert Customer.objects.get().orders_count == 1


def test_an_unknown_topic_is_refused_and_kept_as_failed(anon_api):
    response = post_woo(anon_api, "product.created", {"id": 93, "name": "Vitamin C serum"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_topic"
    assert "unknown_topic" in WebhookDelivery.objects.get().error


def test_the_activation_ping_is_answered_200_without_a_signature(anon_api):
    # What WC_Webhook::deliver_ping sends: a form body and a user agent, nothing else.
    response = anon_api.post(
        "/api/v1/webhooks/woocommerce/", data="webhook_id=12",
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="WooCommerce/9.6.0 Hookshot (WordPress/6.7)",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert WebhookDelivery.objects.count() == 0


def test_anything_else_unsigned_is_still_refused(anon_api):
    response = anon_api.post("/api/v1/webhooks/woocommerce/", data="webhook_id=12&x=1",
                             content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401


def test_the_parser_reads_a_ping_as_nothing_to_do():
    assert woocommerce.parse("", "application/x-www-form-urlencoded", b"webhook_id=12") is None
