"""A code used at the shop's checkout comes back in the order webhook and marks the voucher
used. Payloads: the documented orders/create example (tests/customers/fixtures/
shopify_orders_create.json, Shopify's webhook reference) and WooCommerce's order object
(tests/customers/fixtures/woocommerce_order.json, REST API v3), with the voucher's code in
`discount_codes` / `coupon_lines` as each platform sends it (WooCommerce in lower case)."""

import json
from pathlib import Path

import pytest

from tests.conftest import post_signed
from tests.factories import ExternalIdFactory, RewardFactory
from tests.loyalty.conftest import customer_with
from tests.storefront.platform_server import created, shopify_customer, sync_of, woo_coupon

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parents[1] / "customers" / "fixtures"
SECRET = "test-secret"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_a_synced_code_used_at_shopifys_checkout_marks_the_voucher_used(
        settings, shopify, redeem, anon_api, django_capture_on_commit_callbacks):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET
    shopify.answer(200, created())
    redemption = redeem(shopify_customer(), RewardFactory(cost=100))
    assert sync_of(redemption).status == "synced"
    order = fixture("shopify_orders_create")
    order.update(test=False, cancelled_at=None, cancel_reason=None, financial_status="paid",
                 currency="EUR", discount_codes=[
                     {"code": redemption.code, "amount": "5.00", "type": "fixed_amount"}])
    order.pop("total_price_set", None)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(anon_api, "/api/v1/webhooks/shopify/", order,
                               signature_header="HTTP_X_SHOPIFY_HMAC_SHA256", secret=SECRET,
                               HTTP_X_SHOPIFY_TOPIC="orders/create",
                               HTTP_X_SHOPIFY_SHOP_DOMAIN="flywheel-demo.myshopify.com")

    assert response.status_code == 202
    redemption.refresh_from_db()
    assert redemption.status == "used"
    assert redemption.order_reference == f"shopify:{order['id']}"


def test_a_coupon_used_at_woocommerces_checkout_marks_the_voucher_used(
        settings, woo, redeem, anon_api, django_capture_on_commit_callbacks):
    settings.WOOCOMMERCE_WEBHOOK_SECRET = SECRET
    woo.answer(201, woo_coupon("placeholder"))
    customer = customer_with(500, email="ada@example.com")
    ExternalIdFactory(customer=customer, source="woocommerce", external_id="27")
    redemption = redeem(customer, RewardFactory(cost=100))
    assert sync_of(redemption).status == "synced"
    order = fixture("woocommerce_order")
    order["coupon_lines"] = [{"id": 318, "code": redemption.code.lower(), "discount": "5.00",
                              "discount_tax": "0.00", "meta_data": []}]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(anon_api, "/api/v1/webhooks/woocommerce/", order,
                               signature_header="HTTP_X_WC_WEBHOOK_SIGNATURE", secret=SECRET,
                               HTTP_X_WC_WEBHOOK_TOPIC="order.created",
                               HTTP_X_WC_WEBHOOK_SOURCE="https://shop.example.com/")

    assert response.status_code == 202
    redemption.refresh_from_db()
    assert redemption.status == "used"
    assert redemption.order_reference == "woocommerce:4120"
