import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import InvalidEvent
from customers.ingestion.events import OrderEvent, RefundData, RefundEvent, check_order
from customers.models import Activity, Customer, Order, OrderLine, Refund
from customers.segments.services.recompute import customers_stage_refresh
from customers.signals import orders_cancelled, orders_paid, orders_refunded
from kernel.bulk import insert_new, keys_lock, rows_add, source_pairs_q

from .activities import activity_record_many
from .profiles import (
    customers_stats_forget,
    customers_stats_refresh,
    customers_upsert_many,
    platform_facts,
)

PAID_STATUSES = {"paid", "partially_refunded", "refunded"}


def order_activity_key(order: Order, what: str) -> str:
    """The timeline key of something that happened to an order: `paid`, `refund:<id>`,
    `cancelled:<when>`. Imports use it too, so a later webhook never records it again."""
    return f"order:{order.source}:{order.external_id}:{what}"


def cumulative_refund_id(refunded_total) -> str:
    """The refund id for a source that only sends its running refunded total: the increase
    is one refund, keyed by the total it reached, so a replay adds nothing."""
    return f"cumulative:{refunded_total}"


def _new_order(event: OrderEvent, customer: Customer | None) -> Order:
    """An order we have not seen: built in memory, inserted once its state is known."""
    return Order(source=event.source, external_id=event.external_id, customer=customer,
                 currency=event.currency, total=event.total, placed_at=event.placed_at,
                 source_updated_at=event.updated_at)


def _new_refunds(order: Order, event: OrderEvent | RefundEvent,
                 known: set[str]) -> list[RefundData]:
    if event.refunds:
        return [r for r in event.refunds if r.external_id not in known]
    refunded_total = event.refunded_total if isinstance(event, OrderEvent) else None
    if (isinstance(event, OrderEvent) and refunded_total is not None
            and refunded_total > order.refunded_total):
        return [RefundData(external_id=cumulative_refund_id(refunded_total),
                           amount=refunded_total - order.refunded_total,
                           created_at=event.updated_at)]
    return []


def order_status(order: Order) -> str:
    """The status that follows from what we know: cancellation, refunds, then payment."""
    if order.cancelled_at:
        return Order.Status.CANCELLED
    if order.refunded_total > 0 and order.refunded_total >= order.total:
        return Order.Status.REFUNDED
    if order.refunded_total > 0:
        return Order.Status.PARTIALLY_REFUNDED
    if order.paid_at:
        return Order.Status.PAID
    return Order.Status.PENDING


def order_shop_amounts(order: Order, shop_total: Decimal | None) -> None:
    """Set the order's figures in SHOP_CURRENCY: its total (as the platform converted it, or
    the total itself in the shop's currency) and what stayed after refunds, in proportion;
    both empty when there is no way to convert (see Order.shop_net)."""
    if order.currency == settings.SHOP_CURRENCY:
        shop_total = order.total
    order.shop_total = shop_total
    if shop_total is None:
        order.shop_net = None
    elif order.total > 0:
        kept = shop_total * (order.total - order.refunded_total) / order.total
        order.shop_net = kept.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        order.shop_net = Decimal("0.00")


def _add_refunds(order: Order, refunds: list[RefundData], at: dt.datetime) -> list[Refund]:
    """Count new refunds into the order's totals; the rows are saved with the order. Money
    that came back was paid: by the refund's time at the latest."""
    added = sum((r.amount for r in refunds), Decimal("0"))
    if order.refunded_total + added > order.total:
        raise InvalidEvent(
            _("Refunds of %(amount)s would exceed the order total of %(total)s.")
            % {"amount": order.refunded_total + added, "total": order.total},
            code="refund_exceeds_total",
        )
    order.refunded_total += added
    for refund in refunds:
        _paid_by(order, refund.created_at or at)
    return [Refund(order=order, external_id=r.external_id, amount=r.amount,
                   created_at=r.created_at or at) for r in refunds]


def _paid_by(order: Order, when: dt.datetime) -> None:
    """The order was paid by `when`: paid_at is the earliest such time any event showed,
    so it is the same whatever order the events arrive in."""
    if order.paid_at is None or when < order.paid_at:
        order.paid_at = when


@dataclass
class _Change:
    """What one event did to one order; written set-based with the rest of its round."""

    order: Order
    created: bool
    # The order's new lines as (sku, name, quantity, unit price), None when unchanged.
    lines: list[tuple] | None = None
    refunds: list[Refund] = field(default_factory=list)
    newly_paid: bool = False
    newly_cancelled: bool = False
    moved: bool = False  # paid, refunded or cancelled: the customer's stage may change


def _announce(changes: list[_Change], history: bool = False) -> None:
    """The timeline rows and signals of what the changes did, once each: payments first
    (so an order first seen already refunded earns before its refunds take points back),
    then refunds, then cancellations. History gets its timeline rows only: no signal."""
    rows = []
    for change in changes:
        order = change.order
        if not order.customer_id:
            continue
        if change.newly_paid:
            rows.append({"customer": order.customer, "kind": Activity.Kind.ORDER_PAID,
                         "occurred_at": order.paid_at, "reference": str(order),
                         "key": order_activity_key(order, "paid"),
                         "data": {"total": str(order.total), "currency": order.currency}})
        rows.extend({"customer": order.customer, "kind": Activity.Kind.ORDER_REFUNDED,
                     "occurred_at": refund.created_at, "reference": str(order),
                     "key": order_activity_key(order, f"refund:{refund.external_id}"),
                     "data": {"amount": str(refund.amount), "currency": order.currency}}
                    for refund in change.refunds)
        if change.newly_cancelled:
            rows.append({"customer": order.customer, "kind": Activity.Kind.ORDER_CANCELLED,
                         "occurred_at": order.cancelled_at, "reference": str(order),
                         "key": order_activity_key(order, "cancelled")})
    activity_record_many(rows=rows, announce=not history)
    if history:
        return
    if paid := [change.order for change in changes if change.newly_paid]:
        orders_paid.send(sender=Order, orders=paid)
    refunds = []
    for change in changes:
        for refund in change.refunds:
            refund.order = change.order
            refunds.append(refund)
    if refunds:
        orders_refunded.send(sender=Order, refunds=refunds)
    # An order first seen cancelled and only later known to have been paid is announced
    # cancelled again, now that it has earned what its cancellation takes back.
    if cancelled := [change.order for change in changes if change.newly_cancelled
                     or (change.newly_paid and change.order.cancelled_at)]:
        orders_cancelled.send(sender=Order, orders=cancelled)


def order_apply(*, event: OrderEvent | RefundEvent) -> Order | None:
    """Bring our copy of an order up to date with an event (see orders_apply)."""
    with transaction.atomic():
        return order_apply_in_transaction(event=event)


def order_apply_in_transaction(*, event: OrderEvent | RefundEvent) -> Order | None:
    """order_apply for a caller that already holds a transaction it rolls back whole when
    this raises: the same writes, without a savepoint of their own."""
    return orders_apply(events=[event])[0]


def orders_apply(*, events: list[OrderEvent | RefundEvent],
                 history: bool = False) -> list[Order | None]:
    """Bring our copies of orders up to date with events, exactly once per change, inside a
    transaction the caller holds and rolls back whole when this raises. Returns each event's
    order (None for a test order, which is ignored). A refund on its own (RefundEvent) is
    applied to its order like any other event; its order must be known (order_unknown).

    The outcome does not depend on the order events arrive in: the order's fields are those
    of its newest event (OrderEvent.version: the source's updated time, then the status, then
    the content, so equal times never fall back on arrival), its lines those of the newest
    event that sent lines, its refunds the union of all refunds seen (rows keyed by the
    source's refund id, so each counts once), its payment and cancellation times the earliest
    any event showed. A late "paid" never resurrects a refunded or cancelled order.

    The work is set-based: each round of events costs the same few statements however many
    events it holds. An event for an order already in the round waits for the next round, as
    does one whose new order another transaction inserted meanwhile (the next round finds that
    order, locked, and applies on top of it like any later delivery).

    With `history` (manage.py import_orders), the events are old orders: an order already
    known is left as it is (None), a paid one was paid when it was placed, customers are
    upserted as history (customers_upsert_many), and no signal is sent, so nothing is earned
    and no stage moves: the orders, their lines, refunds and timeline rows, and the
    customers' statistics.
    """
    for event in events:
        if isinstance(event, OrderEvent):
            check_order(event)
    orders_lock(events)
    results: list[Order | None] = [None] * len(events)
    waiting = [i for i, event in enumerate(events) if not getattr(event, "test", False)]
    while waiting:
        this_round: list[int] = []
        later: list[int] = []
        orders: set[tuple[str, str]] = set()
        for i in waiting:
            key = (events[i].source, events[i].external_id)
            (later if key in orders else this_round).append(i)
            orders.add(key)
        applied = _apply_round([events[i] for i in this_round], history)
        for i, order in zip(this_round, applied, strict=True):
            results[i] = None if order is KNOWN else order
        waiting = [i for i, order in zip(this_round, applied, strict=True)
                   if order is None] + later
    return results


def orders_lock(events: list[OrderEvent | RefundEvent]) -> None:
    """Take turns, until commit, with every other transaction applying events for these
    orders, whether the orders exist yet or not. Taken before anything else is locked: rows
    lock in a set order (orders, then customers), but a round whose new order another
    transaction inserted meanwhile locks that order after its customers, and would deadlock
    with one that holds the order and waits for them."""
    keys_lock(Order, (f"{event.source}\0{event.external_id}" for event in events))


ORDER_FIELDS = ["customer", "name", "status", "currency", "total", "discount_total",
                "refunded_total", "discount_codes", "referral_code", "placed_at", "paid_at",
                "cancelled_at", "source_updated_at", "source_version", "lines_version",
                "shop_total", "shop_net"]


KNOWN = Order()  # history: an order already known, left as it is


def _apply_round(events: list[OrderEvent | RefundEvent], history: bool = False) -> list:
    """Apply events for distinct orders; None for an order another transaction inserted
    while this one was inserting it, KNOWN for one that history leaves as it is."""
    known = _locked_orders(events)
    if history and known:
        fresh = [e for e in events if (e.source, e.external_id) not in known]
        applied = iter(_apply_round(fresh, history) if fresh else [])
        return [KNOWN if (e.source, e.external_id) in known else next(applied)
                for e in events]
    placed = [event for event in events if isinstance(event, OrderEvent)]
    found = iter(customers_upsert_many(facts=[
        platform_facts(source=event.source, data=event.customer,
                       at=event.updated_at if history else None,
                       since=event.placed_at if history else None)
        for event in placed], history=history))
    customers = [next(found) if isinstance(event, OrderEvent) else None for event in events]
    lines, refund_ids = _known_details(known.values(), events)
    changes = []
    for event, customer in zip(events, customers, strict=True):
        order = known.get((event.source, event.external_id))
        if order is None:
            if isinstance(event, RefundEvent):
                raise OrderNotReceived(event)
            order = _new_order(event, customer)
        changes.append(_change(order, event, customer, lines, refund_ids, history))
    insert_new([c.order for c in changes if c.created], key=("source", "external_id"))
    done = [c for c in changes if c.order.pk is not None]
    updated = [c.order for c in done if not c.created]
    if updated:
        Order.objects.bulk_update(updated, ORDER_FIELDS)
    relined = [c.order.pk for c in done if c.lines is not None and not c.created]
    if relined:
        OrderLine.objects.filter(order_id__any=relined).delete()
    rows_add(OrderLine, [{"order_id": c.order.pk, "sku": sku, "name": name, "quantity": quantity,
                          "unit_price": price}
                         for c in done for sku, name, quantity, price in c.lines or ()])
    # Refunds keep their pks (bulk_create): the points reversed for them name them.
    Refund.objects.bulk_create([refund for c in done for refund in c.refunds])
    _announce(done, history)
    buyers = {c.order.customer_id: customer for c in done
              if c.order.customer_id and (customer := c.order.customer) is not None}
    customers_stats_refresh(customer_ids=buyers)
    customers_stats_forget(buyers.values())
    if not history:
        moved = dict.fromkeys(c.order.customer_id for c in done
                              if c.moved and c.order.customer_id)
        customers_stage_refresh(customers=[buyers[customer_id] for customer_id in moved])
    return [c.order if c.order.pk is not None else None for c in changes]


class OrderNotReceived(InvalidEvent):
    """A refund for an order Flywheel has not received yet: its delivery waits for it."""

    def __init__(self, event: RefundEvent):
        super().__init__(
            _("Order %(id)s has not been received yet; this refund is applied when it "
              "arrives.") % {"id": event.order_external_id}, code="order_unknown")
        self.order_external_id = event.order_external_id


def _locked_orders(events) -> dict[tuple[str, str], Order]:
    """Our copies of the events' orders, locked in id order until commit, so rounds that
    share orders apply one after the other and never deadlock."""
    wanted = source_pairs_q(((e.source, e.external_id) for e in events), "external_id")
    return {(o.source, o.external_id): o for o in
            Order.objects.select_for_update(of=("self",)).select_related("customer")
            .filter(wanted).order_by("pk")}


def _known_details(orders, events) -> tuple[dict, dict]:
    """Existing orders' lines and refund ids, by order id, read once for the round."""
    ids = [order.pk for order in orders]
    lines: defaultdict[int, list[tuple]] = defaultdict(list)
    refund_ids: defaultdict[int, set[str]] = defaultdict(set)
    if not ids:
        return lines, refund_ids
    if any(getattr(event, "lines", None) is not None for event in events):
        for order_id, *line in (OrderLine.objects.filter(order_id__any=ids).order_by("pk")
                                .values_list("order_id", "sku", "name", "quantity",
                                             "unit_price")):
            lines[order_id].append(tuple(line))
    if any(event.refunds for event in events):
        for order_id, external_id in Refund.objects.filter(order_id__any=ids).values_list(
                "order_id", "external_id"):
            refund_ids[order_id].add(external_id)
    return lines, refund_ids


def _change(order: Order, event: OrderEvent | RefundEvent, customer: Customer | None,
            lines: dict, refund_ids: dict, history: bool = False) -> _Change:
    """Bring the order up to date with the event in memory, and say what changed."""
    created = order.pk is None
    was_paid, was_cancelled = order.paid_at is not None, order.cancelled_at is not None
    new_lines: list[tuple] | None = [] if created else None
    if isinstance(event, OrderEvent):
        at = event.updated_at
        if order.currency != event.currency and order.refunded_total:
            raise InvalidEvent(_("The order's currency cannot change after a refund."),
                               code="currency_changed")
        version = event.version
        newest = version >= order.source_version
        if newest:
            order.customer = customer or order.customer
            order.name = event.name
            order.currency = event.currency
            order.total = event.total
            order.discount_total = event.discount_total
            order.discount_codes = list(event.discount_codes)
            order.referral_code = event.referral_code
            order.placed_at = event.placed_at
            order.source_updated_at = event.updated_at
            order.source_version = version
            order.shop_total = event.shop_total  # converted below, with the refunds
            if not event.is_cancelled:
                order.cancelled_at = None
        if event.is_cancelled and (newest or order.cancelled_at):
            # The earliest cancellation time seen, whichever event brought it first.
            _cancelled_by(order, event.cancelled_at or event.updated_at)
        if event.lines is not None and version >= order.lines_version:
            order.lines_version = version
            wanted = [(li.sku, li.name, li.quantity, li.unit_price) for li in event.lines]
            if created or wanted != lines.get(order.pk, []):
                new_lines = wanted
        if event.status in PAID_STATUSES:  # history: paid when it was placed
            _paid_by(order, event.placed_at if history else event.updated_at)
    else:
        at = event.refund.created_at or timezone.now()
    refunds = _add_refunds(order, _new_refunds(order, event, refund_ids.get(order.pk, set())),
                           at)
    order_shop_amounts(order, order.shop_total)
    order.status = order_status(order)
    is_paid, is_cancelled = order.paid_at is not None, order.cancelled_at is not None
    return _Change(order=order, created=created, lines=new_lines, refunds=refunds,
                   newly_paid=is_paid and not was_paid,
                   newly_cancelled=is_cancelled and not was_cancelled,
                   moved=bool(refunds) or was_paid != is_paid or was_cancelled != is_cancelled)


def _cancelled_by(order: Order, when: dt.datetime) -> None:
    if order.cancelled_at is None or when < order.cancelled_at:
        order.cancelled_at = when


def refund_apply(*, event: RefundEvent) -> Order:
    """A refund that arrives on its own, for an order we already have (order_unknown
    otherwise): applied as any other event for its order."""
    order = order_apply(event=event)
    assert order is not None  # only a test order is ignored, and a refund is never one
    return order
