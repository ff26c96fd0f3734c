"""The generic JSON order event, for any platform: `POST /api/v1/events/orders/`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.errors import InvalidEvent, flatten_errors

from .currencies import ISO_4217
from .events import (
    ORDER_STATUSES,
    CustomerData,
    LineData,
    OrderEvent,
    check_order,
    load_json,
    unknown_topic,
)

AMOUNT = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


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
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    price = serializers.DecimalField(help_text=_("Unit price."), **AMOUNT)


class OrderEventSerializer(serializers.Serializer):
    """One order as the shop sees it now. Send it on every change; Flywheel keeps the newest."""

    id = serializers.CharField(max_length=64, help_text=_("The order's id in the shop."))
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=ORDER_STATUSES)
    placed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        help_text=_("When the order last changed; an older event never overwrites a newer one.")
    )
    currency = serializers.CharField(min_length=3, max_length=3, help_text=_("ISO 4217 code."))
    total = serializers.DecimalField(help_text=_("What the customer paid, after discounts."),
                                     **AMOUNT)
    discount_total = serializers.DecimalField(required=False, default=0, **AMOUNT)
    refunded_total = serializers.DecimalField(
        required=False, default=0, help_text=_("Everything refunded so far."), **AMOUNT
    )
    customer = _Customer()
    lines = _Line(many=True, required=False, default=list, max_length=500)
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

    def to_event(self) -> OrderEvent:
        data = self.validated_data
        customer = data["customer"]
        event = OrderEvent(
            source="generic",
            external_id=data["id"],
            name=data["name"],
            status=data["status"],
            placed_at=data["placed_at"],
            updated_at=data["updated_at"],
            currency=data["currency"],
            total=data["total"],
            discount_total=data["discount_total"],
            refunded_total=data["refunded_total"],
            customer=CustomerData(
                external_id=customer["id"],
                email=customer["email"].lower(),
                first_name=customer["first_name"],
                last_name=customer["last_name"],
                accepts_marketing=customer["accepts_marketing"],
            ),
            lines=tuple(
                LineData(sku=li["sku"], name=li["name"], quantity=li["quantity"],
                         unit_price=li["price"])
                for li in data["lines"]
            ),
            discount_codes=tuple(data["discount_codes"]),
            referral_code=data["referral_code"],
            test=data["test"],
        )
        return check_order(event)


def parse_order(payload) -> OrderEvent:
    """Validate a generic order event; raise InvalidEvent naming every bad field."""
    if not isinstance(payload, dict):
        raise InvalidEvent(_("The body must be a JSON object."), code="invalid_json")
    serializer = OrderEventSerializer(data=payload)
    if not serializer.is_valid():
        raise InvalidEvent(
            _("The order event has invalid fields."), fields=flatten_errors(serializer.errors)
        )
    return serializer.to_event()


def parse(topic: str, content_type: str, body: bytes) -> OrderEvent:
    """The generic source has one topic, `orders`."""
    if topic != "orders":
        raise unknown_topic(topic)
    return parse_order(load_json(content_type, body))
