from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import FlywheelError, InvalidEvent
from customers.ingestion.events import OrderEvent, RefundData, RefundEvent, check_order
from customers.models import Activity, Customer, Order, OrderLine, Refund
from customers.signals import order_cancelled, order_paid, order_refunded

from .inserts import insert_unless_known
from .profiles import activity_record, customer_apply, customer_stats_refresh
from .segments import customer_stage_refresh

PAID_STATUSES = {"paid", "partially_refunded", "refunded"}


def order_activity_key(order: Order, what: str) -> str:
    """The timeline key of something that happened to an order: `paid`, `refund:<id>`,
    `cancelled:<when>`. Imports use it too, so a later webhook never records it again."""
    return f"order:{order.source}:{order.external_id}:{what}"


def cumulative_refund_id(refunded_total) -> str:
    """The refund id for a source that only sends its running refunded total: the increase
    is one refund, keyed by the total it reached, so a replay adds nothing."""
    return f"cumulative:{refunded_total}"


def _customer_for(event: OrderEvent) -> Customer | None:
    try:
        return customer_apply(source=event.source, data=event.customer)
    except FlywheelError:
        return None  # a guest order without an email: kept, belongs to no one


def _locked_order(event: OrderEvent) -> Order | None:
    """Our copy of the order, locked until commit so copies of one event apply one by one."""
    return (Order.objects.select_for_update()
            .filter(source=event.source, external_id=event.external_id).first())


def _new_order(event: OrderEvent, customer: Customer | None) -> Order:
    """An order we have not seen: built in memory, inserted once its state is known."""
    return Order(source=event.source, external_id=event.external_id, customer=customer,
                 currency=event.currency, total=event.total, placed_at=event.placed_at,
                 source_updated_at=event.updated_at)


def _new_refunds(order: Order, event: OrderEvent) -> list[RefundData]:
    if event.refunds:
        known = set(order.refunds.values_list("external_id", flat=True)) if order.pk else set()
        return [r for r in event.refunds if r.external_id not in known]
    if event.refunded_total is not None and event.refunded_total > order.refunded_total:
        return [RefundData(external_id=cumulative_refund_id(event.refunded_total),
                           amount=event.refunded_total - order.refunded_total,
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


def _add_refunds(order: Order, refunds: list[RefundData]) -> list[Refund]:
    """Count new refunds into the order's totals; the rows are saved with the order."""
    added = sum((r.amount for r in refunds), Decimal("0"))
    if order.refunded_total + added > order.total:
        raise InvalidEvent(
            _("Refunds of %(amount)s would exceed the order total of %(total)s.")
            % {"amount": order.refunded_total + added, "total": order.total},
            code="refund_exceeds_total",
        )
    order.refunded_total += added
    if refunds and order.paid_at is None:
        order.paid_at = order.source_updated_at  # money came back, so it was paid
    return [Refund(order=order, external_id=r.external_id, amount=r.amount,
                   created_at=r.created_at or timezone.now()) for r in refunds]


def _announce(order: Order, *, newly_paid: bool, refunds: list[Refund], newly_cancelled: bool):
    customer = order.customer
    if newly_paid:
        if customer:
            activity_record(
                customer=customer, kind=Activity.Kind.ORDER_PAID, occurred_at=order.paid_at,
                reference=str(order), key=order_activity_key(order, "paid"),
                data={"total": str(order.total), "currency": order.currency},
            )
        order_paid.send(sender=Order, order=order)
    for refund in refunds:
        if customer:
            activity_record(
                customer=customer, kind=Activity.Kind.ORDER_REFUNDED,
                occurred_at=refund.created_at, reference=str(order),
                key=order_activity_key(order, f"refund:{refund.external_id}"),
                data={"amount": str(refund.amount), "currency": order.currency},
            )
        order_refunded.send(sender=Order, order=order, refund=refund)
    if newly_cancelled:
        if customer:
            activity_record(
                customer=customer, kind=Activity.Kind.ORDER_CANCELLED,
                occurred_at=order.cancelled_at, reference=str(order),
                key=order_activity_key(order, f"cancelled:{order.cancelled_at.isoformat()}"),
            )
        order_cancelled.send(sender=Order, order=order)


def order_apply(*, event: OrderEvent) -> Order | None:
    """Bring our copy of an order up to date with an event, exactly once per change.

    Newer events win field by field (by the source's updated time), so a late "paid" never
    resurrects a refunded or cancelled order. Refunds are rows keyed by the source's refund
    id, so each is counted once however often it is delivered. Test orders are ignored.
    """
    with transaction.atomic():
        return order_apply_in_transaction(event=event)


def order_apply_in_transaction(*, event: OrderEvent) -> Order | None:
    """order_apply for a caller that already holds a transaction it rolls back whole when
    this raises (delivery_process): the same writes, without a savepoint of their own."""
    check_order(event)
    if event.test:
        return None
    customer = _customer_for(event)
    order = _locked_order(event)
    if order is not None:
        return _order_update(order, event, customer)
    try:
        return _order_update(_new_order(event, customer), event, customer)
    except _OrderInsertedMeanwhile:
        # Another copy of this event inserted the order first and has committed (the insert
        # waited for it), so its row can be locked now and this copy applies on top of it
        # like any later delivery: whatever it already counted is not counted again.
        return _order_update(_locked_order(event), event, customer)


class _OrderInsertedMeanwhile(Exception):
    pass


def _order_update(order: Order, event: OrderEvent, customer: Customer | None) -> Order:
    created = order.pk is None
    if order.currency != event.currency and order.refunded_total:
        raise InvalidEvent(_("The order's currency cannot change after a refund."),
                           code="currency_changed")
    was_paid, was_cancelled = order.paid_at is not None, order.cancelled_at is not None
    if event.updated_at >= order.source_updated_at:
        order.customer = customer or order.customer
        order.name = event.name
        order.currency = event.currency
        order.total = event.total
        order.discount_total = event.discount_total
        order.discount_codes = list(event.discount_codes)
        order.referral_code = event.referral_code
        order.placed_at = event.placed_at
        order.source_updated_at = event.updated_at
        if event.status == Order.Status.CANCELLED:
            order.cancelled_at = order.cancelled_at or event.updated_at
        else:
            order.cancelled_at = None
        lines = _changed_lines(order, event)
    else:
        lines = None
    if event.status in PAID_STATUSES and order.paid_at is None:
        order.paid_at = event.updated_at
    refunds = _add_refunds(order, _new_refunds(order, event))
    order.status = order_status(order)
    if created:
        if not insert_unless_known(order):
            raise _OrderInsertedMeanwhile
    else:
        order.save()
    if lines is not None:
        if not created:
            order.lines.all().delete()
        OrderLine.objects.bulk_create(lines)
    if refunds:
        Refund.objects.bulk_create(refunds)
    _announce(order, newly_paid=not was_paid and order.paid_at is not None, refunds=refunds,
              newly_cancelled=not was_cancelled and order.cancelled_at is not None)
    if order.customer_id:
        customer_stats_refresh(customer=order.customer)
        if refunds or was_paid != (order.paid_at is not None) or (
                was_cancelled != (order.cancelled_at is not None)):
            customer_stage_refresh(customer=order.customer)
    return order


def refund_apply(*, event: RefundEvent) -> Order:
    """A refund that arrives on its own, for an order we already have."""
    with transaction.atomic():
        order = (Order.objects.select_for_update()
                 .filter(source=event.source, external_id=event.order_external_id).first())
        if order is None:
            raise InvalidEvent(
                _("Order %(id)s has not been received yet; reprocess this delivery after it "
                  "arrives.") % {"id": event.order_external_id},
                code="order_unknown",
            )
        if order.refunds.filter(external_id=event.refund.external_id).exists():
            return order
        refunds = _add_refunds(order, [event.refund])
        order.status = order_status(order)
        order.save()
        Refund.objects.bulk_create(refunds)
        _announce(order, newly_paid=False, refunds=refunds, newly_cancelled=False)
        if order.customer:
            customer_stats_refresh(customer=order.customer)
    return order


def _changed_lines(order: Order, event: OrderEvent) -> list[OrderLine] | None:
    """The order's lines as the event lists them, or None when they are unchanged."""
    wanted = [(li.sku, li.name, li.quantity, li.unit_price) for li in event.lines]
    if order.pk is not None and wanted == list(
        order.lines.values_list("sku", "name", "quantity", "unit_price")
    ):
        return None
    return [OrderLine(order=order, sku=sku, name=name, quantity=qty, unit_price=price)
            for sku, name, qty, price in wanted]
