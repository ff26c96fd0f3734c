"""Signals that let the upper apps react to what happens in customers.

They are sent inside the transaction that made the change, so a receiver's writes commit or roll
back with it; receivers that send email or call out schedule that work with `delay_on_commit`.
"""

from django.dispatch import Signal

# order: Order, just became paid (sent once per order).
order_paid = Signal()
# orders: list[Order], the orders of one batch that just became paid, sent after order_paid for
# each (a receiver that works set-based listens to this one instead, never to both).
orders_paid = Signal()
# order: Order, refund: Refund, a new refund row (sent once per refund).
order_refunded = Signal()
# order: Order, just cancelled (sent once per cancellation).
order_cancelled = Signal()
# activity: Activity, just recorded (sent once per activity).
activity_recorded = Signal()
# activities: list[Activity], recorded together, sent after activity_recorded for each (for a
# receiver that works set-based; it listens to this one instead, never to both).
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
