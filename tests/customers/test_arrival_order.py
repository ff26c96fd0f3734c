"""The outcome does not depend on the order events arrive in (issue 11), as a property.

Hypothesis builds the life of one Shopify order as Shopify sends it (orders/create, orders/paid
at the same second or later, partial refunds each as refunds/create and orders/updated at the
refund's own second, an edit after payment with other lines and one without lines,
orders/cancelled with the rest refunded or not) and a permutation of its deliveries. Applied
one by one through the delivery inbox in that permutation, they must end in the same shop as
in their own order: the same customer, order, ledger and timeline, compared as
tests/customers/outcome.py says (entries by key, kind and points; timeline rows by kind and
key; not the times rows were written). On PostgreSQL, with a fixed number of examples.
"""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import realistic_shop, receive
from tests.customers.outcome import shop_outcome
from tests.loyalty.conftest import audit

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def _when(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _line(sku: str, price: str) -> dict:
    return {"id": abs(hash(sku)) % 10**9, "title": sku.title(), "name": sku.title(),
            "sku": sku, "quantity": 1, "price": price, "product_exists": True}


def _refund(number: int, cents: int, minutes: int) -> dict:
    amount = str(Decimal(cents) / 100)
    return {"id": 7000 + number, "order_id": 9001, "created_at": _when(minutes), "note": "",
            "refund_line_items": [],
            "transactions": [{"id": 8000 + number, "kind": "refund", "status": "success",
                              "amount": amount, "currency": "EUR", "created_at": _when(minutes)}]}


@st.composite
def order_lives(draw) -> list[tuple[str, dict]]:
    """(topic, body) of each delivery of one order's life, in the order Shopify sends them."""
    cents = draw(st.integers(min_value=100, max_value=90_000))
    total = str(Decimal(cents) / 100)
    order = {
        "id": 9001, "name": "#9001", "email": "lin@example.com", "currency": "EUR",
        "created_at": _when(0), "updated_at": _when(0), "financial_status": "pending",
        "total_price": total, "total_discounts": "0.00", "test": False, "cancelled_at": None,
        "total_price_set": {"shop_money": {"amount": total, "currency_code": "EUR"}},
        "discount_codes": [], "refunds": [],
        "line_items": [_line("TEA-TIN", total)],
        "customer": {"id": 55, "email": "lin@example.com", "first_name": "Lin",
                     "last_name": "Wu", "accepts_marketing": False},
    }

    def state(minutes: int, **changes) -> dict:
        body = copy.deepcopy(order)
        body.update(updated_at=_when(minutes), **changes)
        return body

    paid_at = draw(st.sampled_from([0, 0, 3]))  # Shopify often sends both in one second
    life = [("orders/create", state(0)), ("orders/paid", state(paid_at, financial_status="paid"))]
    order["financial_status"] = "paid"
    if draw(st.booleans()):  # edited after payment: other lines, same total
        order["line_items"] = [_line("TEA-TIN", "1.00"), _line("GIFT-WRAP", str(
            Decimal(cents - 100) / 100))] if cents > 100 else order["line_items"]
        life.append(("orders/updated", state(paid_at + 1)))
    if draw(st.booleans()):  # an update that sends no lines
        body = state(paid_at + 2)
        del body["line_items"]
        life.append(("orders/updated", body))
    left, minutes = cents, paid_at + 10
    for number in range(draw(st.integers(min_value=0, max_value=3))):
        part = draw(st.integers(min_value=1, max_value=left)) if left else 0
        if not part:
            break
        left -= part
        minutes += draw(st.sampled_from([0, 7]))
        refund = _refund(number, part, minutes)
        order["refunds"].append(refund)
        order["financial_status"] = "refunded" if left == 0 else "partially_refunded"
        life += [("refunds/create", refund), ("orders/updated", state(minutes))]
    if draw(st.booleans()):
        minutes += 5
        if left and draw(st.booleans()):  # cancelled with the rest refunded
            refund = _refund(9, left, minutes)
            order["refunds"].append(refund)
            order["financial_status"] = "refunded"
            life.append(("refunds/create", refund))
        life.append(("orders/cancelled", state(minutes, cancelled_at=_when(minutes),
                                               cancel_reason="customer")))
    return life


def _apply(life: list[tuple[str, dict]]) -> dict:
    """Deliver each in turn, applied as it arrives, in a savepoint rolled back afterwards."""
    with transaction.atomic():
        for topic, body in life:
            receive(body, source="shopify", topic=topic)
        audit()
        outcome = shop_outcome()
        transaction.set_rollback(True)
    return outcome


@pytest.fixture
def shop(settings):
    settings.SHOP_CURRENCY = "EUR"
    realistic_shop()


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_arrival_order_ends_in_the_same_shop_as_the_events_in_order(shop, data):
    life = data.draw(order_lives())
    arrival = data.draw(st.permutations(range(len(life))))

    in_order = _apply(life)
    shuffled = _apply([life[i] for i in arrival])

    assert shuffled["orders"] == in_order["orders"]
    assert shuffled["customers"] == in_order["customers"]
    assert shuffled["ledger"] == in_order["ledger"]
