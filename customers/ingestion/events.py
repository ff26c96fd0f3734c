"""The normalised events every platform's payload becomes, and the checks they all share."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from customers.errors import BodyTooLarge, InvalidEvent, UnsupportedMediaType
from kernel.currencies import ISO_4217

ORDER_STATUSES = ("pending", "paid", "partially_refunded", "refunded", "cancelled")
STATUS_RANK = {status: rank for rank, status in enumerate(ORDER_STATUSES)}
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = 100_000  # of one line
# Deeper than any order a platform sends (Shopify's price sets inside tax lines inside line
# items are 6 levels deep), shallow enough that no parser or admin page recurses too far.
MAX_DEPTH = 32
# Dates an order's times may take: none is older than online shops, and none lies further ahead
# than a shop's clock can be wrong by (a date far in the future would make its event the newest
# for ever, and breaks date arithmetic at year 9999).
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_MARGIN = dt.timedelta(days=1)
# Text no database column can store: NUL characters and lone surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class CustomerData:
    external_id: str = ""
    email: str = ""  # the customer's own address: their profile's primary email
    first_name: str = ""
    last_name: str = ""
    accepts_marketing: bool | None = None
    # An address the order was placed with (Shopify's order email, WooCommerce's billing
    # email): kept as one more known email, never replacing the primary one, and used to
    # create the customer only when nothing else names them.
    order_email: str = ""


@dataclass(frozen=True)
class LineData:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class RefundData:
    external_id: str
    amount: Decimal
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class OrderEvent:
    source: str
    external_id: str
    status: str  # one of ORDER_STATUSES, as the platform reports payment
    placed_at: dt.datetime
    updated_at: dt.datetime
    currency: str
    total: Decimal
    customer: CustomerData
    name: str = ""
    discount_total: Decimal = Decimal("0")
    # Sources that only know the cumulative refunded amount set this...
    refunded_total: Decimal | None = None
    # ...and sources that list their refunds set this.
    refunds: tuple[RefundData, ...] = ()
    lines: tuple[LineData, ...] | None = None  # None: the event did not send lines
    discount_codes: tuple[str, ...] = ()
    referral_code: str = ""
    test: bool = False
    # The total in the shop's currency (settings.SHOP_CURRENCY) when the platform sent one
    # (Shopify's total_price_set.shop_money) or the order is in that currency already.
    shop_total: Decimal | None = None
    cancelled_at: dt.datetime | None = None  # when the platform says; else the update's time
    # Optional items left out because they could not be read (a blank discount code, a line
    # without a quantity): noted on the delivery for staff, never a reason to refuse it.
    skipped: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """Which of two events for one order is the newer: the platform's update time, then
        the further payment status, then the content, so that events with equal times are
        ordered by a fixed rule, never by arrival. Strings that sort as they compare."""
        when = self.updated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        rank = STATUS_RANK["cancelled" if self.is_cancelled else self.status]
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:16]
        return f"{when}|{rank}|{digest}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled" or self.cancelled_at is not None


@dataclass(frozen=True)
class RefundEvent:
    """A refund that arrives on its own (Shopify refunds/create)."""

    source: str
    order_external_id: str
    refund: RefundData

    @property
    def external_id(self) -> str:
        """The order's id: a refund is applied to its order like any other event for it."""
        return self.order_external_id

    @property
    def refunds(self) -> tuple[RefundData, ...]:
        return (self.refund,)


@dataclass(frozen=True)
class CustomerEvent:
    source: str
    customer: CustomerData
    locale: str = ""


@dataclass
class Reader:
    """Reads fields out of a JSON object, collecting every problem before failing once."""

    data: dict
    prefix: str = ""
    errors: dict = field(default_factory=dict)

    def _name(self, key):
        return f"{self.prefix}{key}"

    def fail(self, key, message):
        self.errors.setdefault(self._name(key), message)

    def raw(self, key, required=False):
        value = self.data.get(key) if isinstance(self.data, dict) else None
        if required and value in (None, ""):
            self.fail(key, _("This field is required."))
        return value

    def text(self, key, required=False, max_length=255) -> str:
        value = self.raw(key, required)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(key, _("Must be a string."))
            return ""
        value = str(value).strip()
        if UNSTORABLE.search(value):
            self.fail(key, _("Text may not contain NUL characters or lone surrogates."))
            return ""
        if len(value) > max_length:
            self.fail(key, _("At most %(n)d characters.") % {"n": max_length})
            return value[:max_length]
        return value

    def money(self, key, required=False, default="0") -> Decimal:
        value = self.raw(key, required)
        if value in (None, ""):
            return Decimal(default)
        if isinstance(value, bool | dict | list):
            self.fail(key, _("Must be a decimal amount."))
            return Decimal("0")
        try:
            amount = Decimal(str(value).strip())
        except (ArithmeticError, ValueError):
            self.fail(key, _("Must be a decimal amount."))
            return Decimal("0")
        if not amount.is_finite():
            self.fail(key, _("Must be a decimal amount."))
            return Decimal("0")
        if amount < 0:
            self.fail(key, _("Must not be negative."))
            return Decimal("0")
        if amount > MAX_AMOUNT:
            self.fail(key, _("At most %(max)s.") % {"max": MAX_AMOUNT})
            return Decimal("0")
        return amount.quantize(Decimal("0.01"))

    def integer(self, key, required=False, minimum=0, maximum=2**63 - 1) -> int:
        value = self.raw(key, required)
        if value in (None, ""):
            return minimum
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # Infinity is a float too
            self.fail(key, _("Must be a whole number."))
            return minimum
        if number < minimum:
            self.fail(key, _("Must be at least %(n)d.") % {"n": minimum})
            return minimum
        if number > maximum:
            self.fail(key, _("At most %(n)d.") % {"n": maximum})
            return minimum
        return number

    def datetime(self, key, required=False) -> dt.datetime | None:
        value = self.raw(key, required)
        if value in (None, ""):
            return None
        try:
            # A well-formed but impossible date (30 February, month 13, offset +25:00) is a
            # ValueError; year 1 with a positive offset is before datetime.min in UTC.
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is not None and parsed.tzinfo is None:
                # Platforms that send naive times (WooCommerce's *_gmt fields) send UTC.
                parsed = parsed.replace(tzinfo=dt.UTC)
            parsed = parsed and parsed.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            parsed = None
        if parsed is None:
            self.fail(key, _("Must be an ISO 8601 date and time."))
            return None
        problem = date_problem(parsed)
        if problem:
            self.fail(key, problem)
            return None
        return parsed

    def currency(self, key) -> str:
        code = self.text(key, required=True, max_length=8).upper()
        if code and code not in ISO_4217:
            self.fail(key, _("Unknown currency '%(code)s'.") % {"code": code})
        return code

    def email(self, key) -> str:
        value = self.text(key, max_length=254).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(key, _("Enter a valid email address."))
                return ""
        return value

    def boolean(self, key) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "1", "0"}:
            return value.lower() in {"true", "yes", "1"}
        self.fail(key, _("Must be true or false."))
        return None

    def nested(self, key, index=None) -> Reader:
        value = self.raw(key) if index is None else key
        label = f"{self.prefix}{key}." if index is None else f"{self.prefix}{index}."
        return Reader(value if isinstance(value, dict) else {}, label, self.errors)

    def items(self, key) -> list:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, _("Must be a list."))
            return []
        return value

    def check(self, message=None):
        if self.errors:
            raise InvalidEvent(
                message or _("The event has invalid fields."), code="invalid_event",
                fields=self.errors,
            )


def date_problem(when: dt.datetime) -> str | None:
    """Why an order's time can't be taken: before 1990, or further ahead than a day."""
    if when < EARLIEST:
        return _("Not before %(date)s.") % {"date": EARLIEST.date().isoformat()}
    if when > timezone.now() + FUTURE_MARGIN:
        return _("Not more than a day in the future.")
    return None


def optional_item(r: Reader, item, label: str) -> Reader:
    """A Reader over an optional item (a line, a discount code) whose problems skip the item,
    noted with `skipped_note`, instead of refusing the whole event."""
    return Reader(item if isinstance(item, dict) else {}, f"{r.prefix}{label}.", {})


def skipped_note(item: Reader) -> str:
    """What was wrong with an optional item that was left out, for the delivery's notes."""
    return "; ".join(f"{name}: {message}" for name, message in item.errors.items())


def optional_lines(r: Reader, key: str, skipped: list[str]) -> tuple[LineData, ...] | None:
    """A platform's order lines (`name` or `title`, `sku`, `quantity`, `price`); None when the
    event sends none, so the stored ones are kept. A line that can't be read is left out and
    noted in `skipped`."""
    if r.raw(key) is None:
        return None
    lines = []
    for index, item in enumerate(r.items(key)):
        line = optional_item(r, item, f"{key}.{index}")
        sku = line.text("sku", max_length=64)
        name = (line.text("name") or line.text("title") or sku)[:255]
        data = LineData(sku=sku, name=name,
                        quantity=line.integer("quantity", required=True, minimum=1,
                                              maximum=MAX_QUANTITY),
                        unit_price=line.money("price", required=True))
        if not name:
            line.fail("name", _("This field is required."))
        if line.errors:
            skipped.append(skipped_note(line))
        else:
            lines.append(data)
    return tuple(lines)


def optional_codes(r: Reader, key: str, skipped: list[str]) -> tuple[str, ...]:
    """The `code` of each discount in `key`; a blank one (a discount applied by hand) is left
    out and noted in `skipped`."""
    codes = []
    for index, item in enumerate(r.items(key)):
        discount = optional_item(r, item, f"{key}.{index}")
        code = discount.text("code", required=True, max_length=64)
        if discount.errors:
            skipped.append(skipped_note(discount))
        else:
            codes.append(code)
    return tuple(codes)


def check_order(event: OrderEvent) -> OrderEvent:
    """Rules every order event obeys, whatever its platform."""
    if event.status not in ORDER_STATUSES:
        raise InvalidEvent(
            _("Unknown order status '%(status)s'.") % {"status": event.status},
            fields={"status": _("One of: %(s)s.") % {"s": ", ".join(ORDER_STATUSES)}},
        )
    refunded = event.refunded_total
    if refunded is None:
        refunded = sum((r.amount for r in event.refunds), Decimal("0"))
    if refunded > event.total:
        raise InvalidEvent(
            _("The refunded amount %(refunded)s is larger than the order total %(total)s.")
            % {"refunded": refunded, "total": event.total},
            code="refund_exceeds_total", fields={"refunded_total": _("Larger than the total.")},
        )
    return event



def body_too_large(size: int) -> BodyTooLarge:
    return BodyTooLarge(_("The body is %(size)d bytes; at most %(max)d are taken.")
                        % {"size": size, "max": settings.INGESTION_MAX_BODY_BYTES})


def check_size(body: bytes) -> None:
    """BodyTooLarge for a body over INGESTION_MAX_BODY_BYTES."""
    if len(body) > settings.INGESTION_MAX_BODY_BYTES:
        raise body_too_large(len(body))


def load_json(content_type: str, body: bytes):
    """The body as JSON, or InvalidEvent saying why not: not JSON, too large, not UTF-8 (RFC
    8259 asks for UTF-8 between systems, and every platform sends it), or nested more than
    MAX_DEPTH levels. Python's extensions (NaN, Infinity) are read as numbers, which every
    field that reads a number refuses."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(
            _("Send the body as application/json, not '%(type)s'.") % {"type": content_type}
        )
    check_size(body)
    try:
        text = body.decode("utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-8")
        if "\x00" in text and json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):
            raise UnicodeError  # UTF-16 or UTF-32 without a byte order mark
    except UnicodeError as exc:
        raise InvalidEvent(
            _("The body must be UTF-8; this looks like %(encoding)s.")
            % {"encoding": json.detect_encoding(body)}, code="invalid_encoding") from exc
    try:
        data = json.loads(text)
    except RecursionError:
        data = None
        problem = True
    except ValueError as exc:
        raise InvalidEvent(_("The body is not valid JSON: %(error)s") % {"error": exc},
                           code="invalid_json") from exc
    else:
        # Fewer brackets than the limit can't nest deeper than it: no need to look.
        problem = text.count("[") + text.count("{") > MAX_DEPTH and too_deep(data)
    if problem:
        raise InvalidEvent(_("The JSON is nested more than %(depth)d levels deep.")
                           % {"depth": MAX_DEPTH}, code="too_deep")
    return data


def too_deep(data) -> bool:
    """Whether objects and arrays nest more than MAX_DEPTH levels."""
    level, depth = [data], 1
    while level:
        level = [child for value in level if isinstance(value, dict | list)
                 for child in (value.values() if isinstance(value, dict) else value)
                 if isinstance(child, dict | list)]
        if level:
            depth += 1
            if depth > MAX_DEPTH:
                return True
    return False


def unknown_topic(topic: str):
    return InvalidEvent(_("Unknown topic '%(topic)s'.") % {"topic": topic}, code="unknown_topic",
                        fields={"topic": _("Not a topic Flywheel handles.")})


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    """Shopify and WooCommerce both sign the raw body: base64 of its HMAC-SHA256."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, given.encode())
