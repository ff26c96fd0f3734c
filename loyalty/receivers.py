"""Loyalty reacting to orders: points, tiers, and vouchers used as discount codes. The signals
are sent inside the order's transaction, so these writes commit or roll back with the order."""

from django.dispatch import receiver

from customers.signals import (
    activities_recorded,
    customer_erased,
    customer_export_requested,
    customer_stage_changed,
    order_cancelled,
    order_paid,
    order_refunded,
    orders_paid,
)

from . import services


@receiver(orders_paid, dispatch_uid="loyalty_reward_paid_orders")
def reward_paid_orders(sender, *, orders, **kwargs):
    """Points and tiers for a batch of paid orders at once (a single order is a batch of
    one): set-based, so it listens to `orders_paid`, never to `order_paid`."""
    services.paid_orders_reward(orders=orders)


@receiver(order_refunded, dispatch_uid="loyalty_reverse_for_refund")
def reverse_for_refund(sender, *, order, refund, **kwargs):
    """The refunded money's points back, then what the order unlocked (a tier still held)."""
    services.points_reverse_for_refund(order=order, refund=refund)
    if order.customer_id:
        services.tiers_withdraw_for_refunds(customers=[order.customer])


@receiver(order_paid, dispatch_uid="loyalty_use_vouchers_in_paid_order")
def use_vouchers_in_paid_order(sender, *, order, **kwargs):
    services.vouchers_use_for_order(order=order)


@receiver(activities_recorded, dispatch_uid="loyalty_earn_for_activities")
def earn_for_activities(sender, *, activities, **kwargs):
    """Points for activities recorded together, set-based (see `reward_paid_orders`)."""
    services.points_award_for_activities(activities=activities)


@receiver(order_cancelled, dispatch_uid="loyalty_cancel_points_for_cancelled_order")
def cancel_points_for_cancelled_order(sender, *, order, **kwargs):
    services.points_cancel_for_order(order=order)
    if order.customer_id:
        services.tiers_withdraw_for_refunds(customers=[order.customer])


@receiver(customer_stage_changed, dispatch_uid="loyalty_winback_for_at_risk")
def winback_for_at_risk(sender, *, customer, to_stage, at=None, **kwargs):
    from .services.winback import winback_for_stage_change

    winback_for_stage_change(customer=customer, to_stage=to_stage, now=at)


@receiver(customer_export_requested, dispatch_uid="loyalty_export")
def export_points(sender, *, customer, **kwargs):
    from .selectors import loyalty_export

    return loyalty_export(customer=customer)


@receiver(customer_erased, dispatch_uid="loyalty_erase_personal_data")
def erase_personal_data(sender, *, customer, **kwargs):
    services.loyalty_personal_data_erase(customer=customer)
