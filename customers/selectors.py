"""Reads of the customer profile, for the API, the pages and the other apps."""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from customers.models import (
    Activity,
    Attribute,
    Customer,
    CustomerEmail,
    ExternalId,
    Order,
    OrderLine,
)
from customers.signals import customer_export_requested
from kernel.emails import email_normalise
from kernel.errors import NotFound
from kernel.models import ID_MAX


def customer_list(*, email: str = "", external_id: str = "") -> QuerySet[Customer]:
    """Customers found by an email they are known by (their own or another, see
    CustomerEmail) and/or a platform's id for them."""
    customers = Customer.objects.filter(erased_at__isnull=True)
    if email:
        email = email_normalise(email)
        customers = customers.filter(
            Q(email=email) | Q(pk__in=CustomerEmail.objects.filter(email=email)
                               .values("customer_id")))
    if external_id:
        customers = customers.filter(external_ids__external_id=external_id)
    return customers.order_by("-created_at", "-id")


def customer_get(*, customer_id: int) -> Customer:
    """A customer the API may show: unknown and erased ones are not found."""
    customer = (Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
                if 0 < customer_id <= ID_MAX else None)
    if customer is None:
        raise NotFound(_("No customer has this id."))
    return customer


def customer_external_id(*, customer: Customer, source: str) -> str:
    """The id a platform (`shopify`, `woocommerce`) knows the customer by; "" when none."""
    found = (ExternalId.objects.filter(customer=customer, source=source)
             .order_by("-id").values_list("external_id", flat=True).first())
    return found or ""


def attributes_latest(*, customer: Customer) -> dict[str, Attribute]:
    """The latest answer per key: what the profile currently says."""
    latest: dict[str, Attribute] = {}
    for attribute in customer.attributes.order_by("key", "-captured_at", "-id"):
        latest.setdefault(attribute.key, attribute)
    return latest


def activity_timeline(*, customer: Customer) -> QuerySet[Activity]:
    """The customer's timeline, newest first."""
    return customer.activities.order_by("-occurred_at", "-id")


# Kinds that are the shop's bookkeeping, not something the shopper did or cares about.
INTERNAL_KINDS = (Activity.Kind.STAGE_CHANGED, Activity.Kind.ATTRIBUTE_SET,
                  Activity.Kind.REFERRAL_STATUS_CHANGED, Activity.Kind.WINBACK_SENT,
                  Activity.Kind.CUSTOMER_CREATED)


def shopper_timeline(*, customer: Customer) -> QuerySet[Activity]:
    """The timeline the shopper sees: what they did and what happened to them, without the
    shop's internal events (lifecycle stage changes, profile bookkeeping)."""
    return activity_timeline(customer=customer).exclude(kind__in=INTERNAL_KINDS)


def shopper_answers(*, customer: Customer) -> list[tuple[str, str, Attribute]]:
    """"What you told us": the latest answer per key as (question, answer in words, the
    attribute), with quiz choices by their labels rather than their stored values."""
    from kernel.describers import answer_texts

    latest = attributes_latest(customer=customer)
    words = answer_texts(latest.values())
    rows = []
    for key, attribute in sorted(latest.items()):
        question, answer = words.get(attribute.pk, (
            key.replace("_", " ").replace("-", " ").capitalize(), attribute.value))
        rows.append((question, answer, attribute))
    return rows


def customer_since(customer: Customer) -> dt.datetime:
    """When the customer became one: their first order or their sign-up, whichever came
    first (a shop's old customers were customers before Flywheel saw them)."""
    dates = [d for d in (customer.first_order_at, customer.created_at) if d]
    return min(dates)


def customer_export(*, customer: Customer) -> dict:
    """Everything Flywheel holds about a customer, for a data-access request: the profile
    here, plus the sections each upper app returns for `customer_export_requested` (points,
    vouchers, quizzes, referrals, surveys)."""
    orders = customer.orders.prefetch_related("lines", "refunds").order_by("placed_at", "id")
    export: dict[str, Any] = {
        "customer": {
            "id": customer.pk,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "birthday": customer.birthday.isoformat() if customer.birthday else None,
            "locale": customer.locale,
            "language": customer.language,
            "accepts_marketing": customer.accepts_marketing,
            "marketing_consent_at": _iso(customer.marketing_consent_at),
            "marketing_consent_source": customer.marketing_consent_source,
            "created_at": _iso(customer.created_at),
            "has_account": customer.user_id is not None,
        },
        "known_emails": [
            {"email": e.email, "source": e.source, "first_seen_at": _iso(e.created_at)}
            for e in customer.known_emails.order_by("created_at", "id")
        ],
        "consent_history": [
            {"accepts_marketing": a.data.get("accepts_marketing"),
             "source": a.data.get("source", a.reference), "at": _iso(a.occurred_at)}
            for a in customer.activities.filter(kind=Activity.Kind.CONSENT_CHANGED)
            .order_by("occurred_at", "id")
        ],
        "external_ids": [
            {"source": e.source, "external_id": e.external_id}
            for e in customer.external_ids.order_by("source", "external_id")
        ],
        "attributes": [
            {"key": a.key, "value": a.value, "source_kind": a.source_kind,
             "source_id": a.source_id, "captured_at": _iso(a.captured_at)}
            for a in customer.attributes.order_by("captured_at", "id")
        ],
        "orders": [_order(order) for order in orders],
        "score": _score(customer),
        "activities": [
            {"kind": a.kind, "occurred_at": _iso(a.occurred_at), "reference": a.reference,
             "data": a.data}
            for a in customer.activities.order_by("occurred_at", "id")
        ],
    }
    for _receiver, sections in customer_export_requested.send(sender=Customer,
                                                             customer=customer):
        if isinstance(sections, dict):
            export.update(sections)
    return export


def _order(order: Order) -> dict:
    return {
        "source": order.source, "external_id": order.external_id, "name": order.name,
        "status": order.status, "currency": order.currency, "total": str(order.total),
        "refunded_total": str(order.refunded_total), "placed_at": _iso(order.placed_at),
        "discount_codes": order.discount_codes,
        "lines": [
            {"sku": li.sku, "name": li.name, "quantity": li.quantity,
             "unit_price": str(li.unit_price)}
            for li in order.lines.all()
        ],
        "refunds": [
            {"amount": str(r.amount), "created_at": _iso(r.created_at)}
            for r in order.refunds.all()
        ],
    }


def _score(customer: Customer) -> dict | None:
    summary = customer_score_get(customer=customer)
    if summary is not None:
        summary.update(stage_since=_iso(summary["stage_since"]),
                       computed_at=_iso(summary["computed_at"]))
    return summary


def _iso(value):
    return value.isoformat() if value else None


def customer_skus_bought(*, customer: Customer) -> frozenset[str]:
    """The SKUs on the customer's paid, not cancelled orders (one query), so recommendations
    can leave out what they already own."""
    skus = (Order.objects.filter(customer=customer, paid_at__isnull=False)
            .exclude(status=Order.Status.CANCELLED)
            .values_list("lines__sku", flat=True).distinct())
    return frozenset(sku for sku in skus if sku)


def activity_get_by_key(*, key: str) -> Activity | None:
    """The timeline row recorded with this idempotency key, or None."""
    return Activity.objects.filter(key=key).first()


def order_lines_bought(*, customer_ids: Collection[int], skus: Collection[str],
                       since: dt.datetime) -> list[dict]:
    """The lines with these SKUs on these customers' paid orders placed since `since` (one
    query; cancelled and fully refunded orders left out), as plain rows: customer_id,
    order_id, line_id, sku, placed_at, amount (unit price x quantity), currency. Quizzes
    measure with it which recommendations sold."""
    rows = (OrderLine.objects
            .filter(order__customer_id__in=list(customer_ids), sku__in=list(skus),
                    order__placed_at__gte=since, order__paid_at__isnull=False)
            .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED])
            .values_list("order__customer_id", "order_id", "id", "sku", "order__placed_at",
                         "unit_price", "quantity", "order__currency")
            .order_by("order__placed_at", "id"))
    return [{"customer_id": customer_id, "order_id": order_id, "line_id": line_id, "sku": sku,
             "placed_at": placed_at, "amount": unit_price * quantity, "currency": currency}
            for customer_id, order_id, line_id, sku, placed_at, unit_price, quantity, currency
            in rows]
# Segments (customers/segments/selectors.py): `segment_has_member` is what loyalty asks.
from customers.segments.selectors import (  # noqa: E402, F401
    customer_score_get,
    segment_count,
    segment_customers,
    segment_get,
    segment_has_member,
    segment_list,
)
