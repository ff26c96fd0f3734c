"""Loyalty reacting to orders: points, tiers, and vouchers used as discount codes. The signals
are sent inside the order's transaction, so these writes commit or roll back with the order.
Each signal carries a whole batch (a single order is a batch of one)."""

from django.dispatch import receiver

from customers.signals import (
    activities_recorded,
    customer_erased,
    customer_export_requested,
    customers_stage_changed,
    orders_cancelled,
    orders_paid,
    orders_refunded,
)

from . import services


@receiver(orders_paid, dispatch_uid="loyalty_reward_paid_orders")
def reward_paid_orders(sender, *, orders, **kwargs):
    """The vouchers the orders used, then points and tiers for them all at once."""
    services.vouchers_use_for_orders(orders=orders)
    services.paid_orders_reward(orders=orders)


@receiver(orders_refunded, dispatch_uid="loyalty_reverse_for_refunds")
def reverse_for_refunds(sender, *, refunds, **kwargs):
    """The refunded money's points back, then what the orders unlocked (a tier still held)."""
    services.points_reverse_for_refunds(refunds=refunds)
    services.tiers_withdraw_for_refunds(customers=_customers(r.order for r in refunds))


@receiver(activities_recorded, dispatch_uid="loyalty_earn_for_activities")
def earn_for_activities(sender, *, activities, **kwargs):
    """Points for activities recorded together."""
    services.points_award_for_activities(activities=activities)


@receiver(orders_cancelled, dispatch_uid="loyalty_cancel_points_for_cancelled_orders")
def cancel_points_for_cancelled_orders(sender, *, orders, **kwargs):
    services.points_cancel_for_orders(orders=orders)
    services.tiers_withdraw_for_refunds(customers=_customers(orders))


@receiver(customers_stage_changed, dispatch_uid="loyalty_winback_for_at_risk")
def winback_for_at_risk(sender, *, changes, at=None, **kwargs):
    services.winback_for_stage_changes(changes=changes, now=at)


def _customers(orders):
    """The orders' customers, each once, in the order first met."""
    return list({order.customer_id: order.customer for order in orders
                 if order.customer_id}.values())


@receiver(customer_export_requested, dispatch_uid="loyalty_export")
def export_points(sender, *, customer, **kwargs):
    from .selectors import loyalty_export

    return loyalty_export(customer=customer)


@receiver(customer_erased, dispatch_uid="loyalty_erase_personal_data")
def erase_personal_data(sender, *, customer, **kwargs):
    services.loyalty_personal_data_erase(customer=customer)
