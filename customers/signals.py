"""Signals that let the upper apps react to what happens in customers: one per event, each for
a whole batch (a single order or activity is a batch of one), so every receiver is set-based.

They are sent inside the transaction that made the change, so a receiver's writes commit or roll
back with it; receivers that send email or call out schedule that work with `delay_on_commit`.
"""

from django.dispatch import Signal

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
customer_erased = Signal()
# customer: Customer, whose data is being exported (a data-access request): each receiver
# returns a dict of export sections ({"loyalty": {...}}) holding what its app keeps about them.
customer_export_requested = Signal()
# customer: Customer, from_stage: str ("" the first time), to_stage: str, at: datetime. Sent
# once per change of lifecycle stage (see customers/segments/rules.py).
customer_stage_changed = Signal()
