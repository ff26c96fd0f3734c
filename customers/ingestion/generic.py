"""The generic JSON order event, for any platform: `POST /api/v1/events/orders/`."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.errors import InvalidEvent
from kernel.currencies import ISO_4217

from .events import (
    MAX_QUANTITY,
    ORDER_STATUSES,
    CustomerData,
    LineData,
    OrderEvent,
    Reader,
    check_order,
    date_problem,
    load_json,
    unknown_topic,
)

AMOUNT: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class OrderTimeField(serializers.DateTimeField):
    """A date and time within the window events.date_problem allows."""

    def to_internal_value(self, value):
        try:
            when = super().to_internal_value(value)
        except OverflowError:  # year 1 with a positive offset
            self.fail("invalid", format="ISO 8601")
        problem = date_problem(when)
        if problem:
            raise serializers.ValidationError(problem)
        return when


class _Customer(serializers.Serializer):
    id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    accepts_marketing = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if not attrs["id"] and not attrs["email"]:
            raise serializers.ValidationError(_("Give the customer's id, email or both."))
        return attrs


class _Line(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=255)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    price = serializers.DecimalField(help_text=_("Unit price."), **AMOUNT)


class OrderEventSerializer(serializers.Serializer):
    """One order as the shop sees it now. Send it on every change; Flywheel keeps the newest.

    This documents the event in the OpenAPI schema; parse_order below enforces the same rules
    (tests/customers/test_order_events_api.py checks that the two agree)."""

    id = serializers.CharField(max_length=64, help_text=_("The order's id in the shop."))
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=ORDER_STATUSES)
    placed_at = OrderTimeField(help_text=_("From 1990 to a day ahead of now."))
    updated_at = OrderTimeField(
        help_text=_("When the order last changed; an older event never overwrites a newer one.")
    )
    currency = serializers.CharField(min_length=3, max_length=3, help_text=_("ISO 4217 code."))
    total = serializers.DecimalField(help_text=_("What the customer paid, after discounts."),
                                     **AMOUNT)
    discount_total = serializers.DecimalField(required=False, default=0, **AMOUNT)  # type: ignore[arg-type]
    refunded_total = serializers.DecimalField(
        required=False, default=0, help_text=_("Everything refunded so far."), **AMOUNT,  # type: ignore[arg-type]
    )
    shop_total = serializers.DecimalField(
        required=False, allow_null=True, default=None,
        help_text=_("The total in the shop's currency (SHOP_CURRENCY), for an order paid in "
                    "another currency: points, tiers and statistics use it. Without it such an "
                    "order is stored and counted but earns nothing."), **AMOUNT)
    customer = _Customer()
    lines = _Line(many=True, required=False, default=None, max_length=500,  # type: ignore[call-arg]
                  help_text=_("Leave out to keep the lines Flywheel already has."))
    discount_codes = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=50
    )
    referral_code = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                          default="")
    test = serializers.BooleanField(required=False, default=False,
                                    help_text=_("Test orders are acknowledged and ignored."))

    def validate_currency(self, value):
        value = value.upper()
        if value not in ISO_4217:
            raise serializers.ValidationError(_("Unknown currency '%(code)s'.") % {"code": value})
        return value


MAX_LINES = 500
MAX_CODES = 50


def _amount(r: Reader, key: str, required: bool = False):
    """Money with at most two decimal places, as the schema documents it."""
    value = r.raw(key)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            exponent = Decimal(str(value).strip()).as_tuple().exponent
        except (InvalidOperation, TypeError):
            exponent = 0  # r.money names the problem
        places = -exponent if isinstance(exponent, int) else 0  # not 'n', 'N' or 'F'
        if places > 2:
            r.fail(key, gettext("At most 2 decimal places."))
    return r.money(key, required=required)


def _customer(r: Reader) -> CustomerData:
    if not isinstance(r.raw("customer"), dict):
        r.fail("customer", gettext("Give the customer as an object with an id, email or both."))
    c = r.nested("customer")
    customer = CustomerData(
        external_id=c.text("id", max_length=64), email=c.email("email"),
        first_name=c.text("first_name", max_length=150),
        last_name=c.text("last_name", max_length=150),
        accepts_marketing=c.boolean("accepts_marketing"),
    )
    fields_valid = not any(name.startswith("customer.") for name in r.errors)
    if fields_valid and not customer.external_id and not customer.email:
        r.fail("customer", gettext("Give the customer's id, email or both."))
    return customer


def _lines(r: Reader) -> tuple[LineData, ...] | None:
    if r.raw("lines") is None:
        return None
    items = r.items("lines")
    if len(items) > MAX_LINES:
        r.fail("lines", gettext("At most %(n)d lines.") % {"n": MAX_LINES})
    lines = []
    for index, item in enumerate(items[:MAX_LINES]):
        line = r.nested(item, f"lines.{index}")
        if not isinstance(item, dict):
            r.fail(f"lines.{index}", gettext("Must be an object."))
        quantity = line.integer("quantity", required=True, minimum=1, maximum=MAX_QUANTITY)
        lines.append(LineData(sku=line.text("sku", max_length=64),
                              name=line.text("name", required=True, max_length=255),
                              quantity=quantity, unit_price=_amount(line, "price", True)))
    return tuple(lines)


def _codes(r: Reader) -> tuple[str, ...]:
    items = r.items("discount_codes")
    if len(items) > MAX_CODES:
        r.fail("discount_codes", gettext("At most %(n)d codes.") % {"n": MAX_CODES})
    codes = []
    for index, code in enumerate(items[:MAX_CODES]):
        name = f"discount_codes.{index}"
        if isinstance(code, bool) or not isinstance(code, str | int) or not str(code).strip():
            r.fail(name, gettext("Must be a code."))
        elif len(str(code).strip()) > 64:
            r.fail(name, gettext("At most %(n)d characters.") % {"n": 64})
        else:
            codes.append(str(code).strip())
    return tuple(codes)


def parse_order(payload) -> OrderEvent:
    """Validate a generic order event (the fields OrderEventSerializer documents); raise
    InvalidEvent naming every bad field. Read by hand rather than by the serializer: this runs
    for every event, in the request and again in the worker."""
    if not isinstance(payload, dict):
        raise InvalidEvent(gettext("The body must be a JSON object."), code="invalid_json")
    r = Reader(payload)
    external_id = r.text("id", required=True, max_length=64)
    status = r.text("status", required=True, max_length=32)
    if status and status not in ORDER_STATUSES:
        r.fail("status", gettext("One of: %(s)s.") % {"s": ", ".join(ORDER_STATUSES)})
    placed_at = r.datetime("placed_at", required=True)
    updated_at = r.datetime("updated_at", required=True)
    currency = r.currency("currency")
    total = _amount(r, "total", required=True)
    discount_total = _amount(r, "discount_total")
    refunded_total = _amount(r, "refunded_total")
    shop_total = _amount(r, "shop_total") if r.raw("shop_total") is not None else None
    customer = _customer(r)
    lines = _lines(r)
    codes = _codes(r)
    name = r.text("name", max_length=64)
    referral_code = r.text("referral_code", max_length=32)
    test = bool(r.boolean("test"))
    r.check(gettext("The order event has invalid fields."))
    assert placed_at is not None and updated_at is not None  # r.check() raised otherwise
    return check_order(OrderEvent(
        source="generic", external_id=external_id, name=name,
        status=status, placed_at=placed_at, updated_at=updated_at, currency=currency,
        total=total, discount_total=discount_total, refunded_total=refunded_total,
        customer=customer, lines=lines, discount_codes=codes,
        referral_code=referral_code, test=test, shop_total=shop_total,
    ))


def parse(topic: str, content_type: str, body: bytes) -> OrderEvent:
    """The generic source has one topic, `orders`."""
    if topic != "orders":
        raise unknown_topic(topic)
    return parse_order(load_json(content_type, body))
