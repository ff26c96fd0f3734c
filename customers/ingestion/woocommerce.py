"""WooCommerce webhooks: https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks"""

import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from customers.errors import InvalidEvent

from .events import (
    MAX_AMOUNT,
    CustomerData,
    OrderEvent,
    Reader,
    RefundData,
    check_order,
    load_json,
    optional_codes,
    optional_lines,
    signature_matches,
    unknown_topic,
)

SOURCE = "woocommerce"
ORDER_TOPICS = ("order.created", "order.updated")
# Refunds drive the partial state: a "processing" order with refunds is paid and partly
# given back.
STATUSES = {
    "pending": "pending",
    "on-hold": "pending",
    "checkout-draft": "pending",
    "processing": "paid",
    "completed": "paid",
    "refunded": "refunded",
    "cancelled": "cancelled",
    "failed": "cancelled",
}
PING = re.compile(rb"webhook_id=\d+")


def verify(headers, body: bytes, secret: str) -> bool:
    """X-WC-Webhook-Signature is the base64 HMAC-SHA256 of the raw body."""
    return signature_matches(secret, body, headers.get("X-WC-Webhook-Signature", ""))


def topic(headers, body: bytes) -> str:
    return headers.get("X-WC-Webhook-Topic", "")


def event_id(headers, body: bytes) -> str:
    """What identifies one change: the body itself. WooCommerce's X-WC-Webhook-Delivery-ID
    is the webhook id and the current second (WC_Webhook::get_new_delivery_id), shared by
    different orders sent in the same second and new on each retry, so it identifies
    nothing; a repeat of the same body (a retry of an unchanged order) is the same change."""
    return f"{headers.get('X-WC-Webhook-Topic', '')}:{hashlib.sha256(body).hexdigest()}"


def is_ping(body: bytes) -> bool:
    """WooCommerce checks a new webhook's URL with an unsigned form post `webhook_id=<id>`
    (WC_Webhook::deliver_ping), and activates the webhook only if it is answered 200."""
    return PING.fullmatch(body.strip()) is not None


def parse(topic: str, content_type: str, body: bytes):
    """The order a webhook carries, or None for the activation ping."""
    if is_ping(body):
        return None
    if topic not in ORDER_TOPICS:
        raise unknown_topic(topic)
    payload = load_json(content_type, body)
    if not isinstance(payload, dict):
        raise InvalidEvent(_("The body must be a JSON object."), code="invalid_json")
    return _order(Reader(payload))


def _order(r: Reader) -> OrderEvent:
    external_id = r.text("id", required=True, max_length=64)
    woo_status = r.text("status", required=True)
    status = STATUSES.get(woo_status)
    if woo_status and status is None:
        r.fail("status", _("Unknown order status '%(status)s'.") % {"status": woo_status})
    placed_at = r.datetime("date_created_gmt", required=True)
    updated_at = r.datetime("date_modified_gmt") or placed_at
    currency = r.currency("currency")
    total = r.money("total", required=True)
    discount_total = r.money("discount_total")
    refunds = []
    for index, item in enumerate(r.items("refunds")):
        refund = r.nested(item, f"refunds.{index}")
        refunds.append(RefundData(external_id=refund.text("id", required=True, max_length=64),
                                  amount=_refund_amount(refund)))
    skipped: list[str] = []
    lines = optional_lines(r, "line_items", skipped)
    codes = optional_codes(r, "coupon_lines", skipped)
    billing = r.nested("billing")
    customer_id = r.integer("customer_id", maximum=2**64 - 1)  # a WordPress user id
    billing_email = billing.email("email")
    # A registered customer's account email is not in the order; the billing email is typed
    # per order, so it is only one more address they are known by. A guest is their order.
    customer = CustomerData(
        external_id=str(customer_id) if customer_id else "",  # 0 is a guest
        email="" if customer_id else billing_email, order_email=billing_email,
        first_name=billing.text("first_name", max_length=150),
        last_name=billing.text("last_name", max_length=150),
    )
    r.check()
    assert status is not None and placed_at is not None and updated_at is not None  # checked
    return check_order(OrderEvent(
        source=SOURCE, external_id=external_id, name=r.text("number", max_length=64),
        status=status, placed_at=placed_at, updated_at=updated_at, currency=currency,
        total=total, discount_total=discount_total,
        refunds=tuple(refund for refund in refunds if refund.amount > 0),
        lines=lines, discount_codes=codes,
        customer=customer, skipped=tuple(skipped),
    ))


def _refund_amount(r: Reader) -> Decimal:
    """An order's refund lists its total as a negative string, e.g. "-5.00"."""
    value = r.raw("total", required=True)
    try:
        amount = abs(Decimal(str(value))).quantize(Decimal("0.01"))
        if isinstance(value, bool | dict | list) or amount > MAX_AMOUNT:
            raise InvalidOperation
    except ArithmeticError:  # InvalidOperation, and Overflow for an exponent like 1e999999999
        r.fail("total", _("Must be a decimal amount."))
        return Decimal("0")
    return amount
