"""Signals that let the upper apps react to what happens in customers: one per event, each for
a whole batch (a single order or activity is a batch of one), so every receiver is set-based.

They are sent inside the transaction that made the change, so a receiver's writes commit or roll
back with it; receivers that send email or call out schedule that work with `delay_on_commit`.
"""

from typing import NamedTuple

from django.dispatch import Signal

from customers.models import Customer

# orders: list[Order], the orders of one batch that just became paid.
orders_paid = Signal()
# refunds: list[Refund], new refund rows of one batch (each with its `order` loaded), after
# orders_paid, so an order first seen already refunded earns before its refunds take back.
orders_refunded = Signal()
# orders: list[Order], just cancelled (or first known to have been paid after their
# cancellation was seen), after orders_refunded.
orders_cancelled = Signal()
# activities: list[Activity], recorded together.
activities_recorded = Signal()
# customer: Customer, whose personal data was just erased (sent once, inside the erasure's
# transaction), emails: list[str], every address they were known by: upper apps erase the
# personal data they hold about them (rows tied to the customer or naming one of the emails).
# The one signal for a single customer: an erasure is one person's request, answered alone.
customer_erased = Signal()
# customer: Customer, whose data is being exported (a data-access request): each receiver
# returns a dict of export sections ({"loyalty": {...}}) holding what its app keeps about them.
customer_export_requested = Signal()


class StageChange(NamedTuple):
    """One customer's change of lifecycle stage (from_stage is "" the first time)."""

    customer: Customer
    from_stage: str
    to_stage: str


# changes: list[StageChange], at: datetime. Sent once for the changes of lifecycle stage of a
# batch of customers (see customers/segments/rules.py).
customers_stage_changed = Signal()
