"""The generic JSON order event, for any platform: `POST /api/v1/events/orders/`.

ORDER is its one definition: parse_order reads events with it, and OrderEventSerializer, the
event in the OpenAPI schema, is generated from it."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.errors import InvalidEvent

from .events import (
    MAX_QUANTITY,
    ORDER_STATUSES,
    CustomerData,
    LineData,
    OrderEvent,
    Reader,
    check_order,
    load_json,
    unknown_topic,
)
from .fields import (
    Amount,
    Boolean,
    Choice,
    Codes,
    Currency,
    Email,
    Integer,
    Object,
    ObjectList,
    Text,
    Time,
)

MAX_LINES = 500
MAX_CODES = 50

CUSTOMER = Object("_Customer", {
    "id": Text(64, attr="external_id"),
    "email": Email(),
    "first_name": Text(150),
    "last_name": Text(150),
    "accepts_marketing": Boolean(nullable=True),
}, CustomerData, one_of=("id", "email"),
    one_of_message=_("Give the customer's id, email or both."),
    not_object_message=_("Give the customer as an object with an id, email or both."))

LINE = Object("_Line", {
    "sku": Text(64),
    "name": Text(255, required=True),
    "quantity": Integer(1, MAX_QUANTITY),
    "price": Amount(required=True, help_text=_("Unit price."), attr="unit_price"),
}, LineData)

ORDER = Object("OrderEventSerializer", {
    "id": Text(64, required=True, help_text=_("The order's id in the shop."),
               attr="external_id"),
    "name": Text(64),
    "status": Choice(ORDER_STATUSES),
    "placed_at": Time(help_text=_("From 1990 to a day ahead of now.")),
    "updated_at": Time(help_text=_(
        "When the order last changed; an older event never overwrites a newer one.")),
    "currency": Currency(help_text=_("ISO 4217 code.")),
    "total": Amount(required=True, help_text=_("What the customer paid, after discounts.")),
    "discount_total": Amount(),
    "refunded_total": Amount(help_text=_("Everything refunded so far.")),
    "shop_total": Amount(nullable=True, help_text=_(
        "The total in the shop's currency (SHOP_CURRENCY), for an order paid in another "
        "currency: points, tiers and statistics use it. Without it such an order is stored "
        "and counted but earns nothing.")),
    "customer": CUSTOMER,
    "lines": ObjectList(LINE, MAX_LINES,
                        help_text=_("Leave out to keep the lines Flywheel already has.")),
    "discount_codes": Codes(MAX_CODES, 64),
    "referral_code": Text(32),
    "test": Boolean(help_text=_("Test orders are acknowledged and ignored.")),
}, OrderEvent, doc="One order as the shop sees it now. Send it on every change; Flywheel keeps "
                   "the newest.")

# The event in the OpenAPI schema (and a DRF validator of the same rules).
OrderEventSerializer = ORDER.serializer


def parse_order(payload) -> OrderEvent:
    """Validate a generic order event against ORDER; raise InvalidEvent naming every bad
    field. Read with a Reader rather than a serializer: this runs for every event, in the
    request and again in the worker."""
    if not isinstance(payload, dict):
        raise InvalidEvent(gettext("The body must be a JSON object."), code="invalid_json")
    r = Reader(payload)
    values = ORDER.values(r)
    if r.errors:  # translated only when needed: gettext costs as much as reading 3 fields
        r.check(gettext("The order event has invalid fields."))
    return check_order(OrderEvent(source="generic", **values))


def parse(topic: str, content_type: str, body: bytes) -> OrderEvent:
    """The generic source has one topic, `orders`."""
    if topic != "orders":
        raise unknown_topic(topic)
    return parse_order(load_json(content_type, body))
