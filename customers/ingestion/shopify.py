"""Shopify webhooks: https://shopify.dev/docs/apps/build/webhooks"""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from customers.errors import InvalidEvent

from .events import (
    CustomerData,
    CustomerEvent,
    OrderEvent,
    Reader,
    RefundData,
    RefundEvent,
    check_order,
    load_json,
    optional_codes,
    optional_item,
    optional_lines,
    signature_matches,
    unknown_topic,
)

SOURCE = "shopify"
ORDER_TOPICS = ("orders/create", "orders/paid", "orders/updated", "orders/cancelled")
CUSTOMER_TOPICS = ("customers/create", "customers/update")
FINANCIAL_STATUSES = {
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "expired": "pending",
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "cancelled",
}


def verify(headers, body: bytes, secret: str) -> bool:
    """X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body."""
    return signature_matches(secret, body, headers.get("X-Shopify-Hmac-Sha256", ""))


def topic(headers, body: bytes) -> str:
    return headers.get("X-Shopify-Topic", "")


def event_id(headers, body: bytes) -> str:
    return headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id", "")


def parse(topic: str, content_type: str, body: bytes):
    """The order, refund or customer a webhook carries; None for a refund that moved no
    money (a restock-only refund), which needs nothing doing."""
    payload = load_json(content_type, body)
    if not isinstance(payload, dict):
        raise InvalidEvent(_("The body must be a JSON object."), code="invalid_json")
    reader = Reader(payload)
    if topic in ORDER_TOPICS:
        return _order(reader)
    if topic == "refunds/create":
        return _refund_event(reader)
    if topic in CUSTOMER_TOPICS:
        return _customer_event(reader)
    raise unknown_topic(topic)


def _order(r: Reader) -> OrderEvent:
    """An order as Shopify sends it. Only its id, currency and total are needed; an optional
    item that can't be read (a manual discount's blank code, a line without a quantity) is
    left out and noted in `skipped`."""
    external_id = r.text("id", required=True, max_length=64)
    financial_status = r.text("financial_status") or "pending"
    status = FINANCIAL_STATUSES.get(financial_status)
    if status is None:
        r.fail("financial_status", _("Unknown financial status '%(status)s'.")
               % {"status": financial_status})
    # A cancellation keeps the financial status beside it: a cancelled order may have been
    # paid and refunded (its points are earned, then given back) or only voided.
    cancelled_at = r.datetime("cancelled_at")
    placed_at = r.datetime("created_at") or r.datetime("processed_at")
    if placed_at is None:
        r.fail("created_at", _("This field is required."))
    updated_at = r.datetime("updated_at") or placed_at
    currency = r.currency("currency")
    total = r.money("total_price", required=True)
    discount_total = r.money("total_discounts")
    skipped: list[str] = []
    refunds = []
    for index, item in enumerate(r.items("refunds")):
        refund = _refund(r.nested(item, f"refunds.{index}"))
        if refund.amount > 0:
            refunds.append(refund)
    lines = optional_lines(r, "line_items", skipped)
    codes = optional_codes(r, "discount_codes", skipped)
    customer = _customer(r.nested("customer"), order_email=r.email("email"))
    test = r.boolean("test")
    r.check()
    assert status is not None and placed_at is not None and updated_at is not None  # checked
    return check_order(OrderEvent(
        source=SOURCE, external_id=external_id, name=r.text("name", max_length=64),
        status=status, placed_at=placed_at, updated_at=updated_at, currency=currency,
        total=total, discount_total=discount_total, refunds=tuple(refunds),
        lines=lines, discount_codes=codes,
        customer=customer, test=bool(test), shop_total=_shop_money(r, "total_price_set"),
        cancelled_at=cancelled_at, skipped=tuple(skipped),
    ))


def _shop_money(r: Reader, key: str) -> Decimal | None:
    """An amount's `shop_money` (Shopify's `*_set` fields) when it is in SHOP_CURRENCY."""
    money = optional_item(r, r.raw(key), key).nested("shop_money")
    if money.text("currency_code", max_length=8).upper() != settings.SHOP_CURRENCY:
        return None
    amount = money.money("amount", required=True)
    return None if money.errors else amount


def _refund(r: Reader) -> RefundData:
    """A refund's money: its successful refund transactions, or, when the payload lists no
    transactions, the subtotals of the refunded lines."""
    external_id = r.text("id", required=True, max_length=64)
    transactions = r.items("transactions")
    amount = Decimal("0")
    for index, item in enumerate(transactions):
        transaction = r.nested(item, f"transactions.{index}")
        if transaction.raw("kind") == "refund" and transaction.raw("status") == "success":
            amount += transaction.money("amount", required=True)
    if not transactions:
        for index, item in enumerate(r.items("refund_line_items")):
            amount += r.nested(item, f"refund_line_items.{index}").money("subtotal")
    return RefundData(external_id=external_id, amount=amount,
                      created_at=r.datetime("created_at"))


def _refund_event(r: Reader) -> RefundEvent | None:
    order_id = r.text("order_id", required=True, max_length=64)
    refund = _refund(r)
    r.check()
    if refund.amount == 0:
        return None
    return RefundEvent(source=SOURCE, order_external_id=order_id, refund=refund)


def _customer(c: Reader, order_email: str = "") -> CustomerData:
    accepts = c.boolean("accepts_marketing")
    consent = c.raw("email_marketing_consent")
    if accepts is None and isinstance(consent, dict) and consent.get("state"):
        accepts = consent["state"] == "subscribed"
    return CustomerData(
        external_id=c.text("id", max_length=64), order_email=order_email,
        email=c.email("email"),
        first_name=c.text("first_name", max_length=150),
        last_name=c.text("last_name", max_length=150),
        accepts_marketing=accepts,
    )


def _customer_event(r: Reader) -> CustomerEvent:
    customer = _customer(r)
    if not customer.external_id:
        r.fail("id", _("This field is required."))
    locale = r.text("locale", max_length=16)
    r.check()
    return CustomerEvent(source=SOURCE, customer=customer, locale=locale)
