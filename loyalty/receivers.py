"""Loyalty reacting to orders. The signals are sent inside the order's transaction, so the
points commit or roll back with the order."""

from django.dispatch import receiver

from customers.signals import order_paid, order_refunded

from . import services


@receiver(order_paid, dispatch_uid="loyalty_earn_for_paid_order")
def earn_for_paid_order(sender, *, order, **kwargs):
    services.points_award_for_order(order=order)


@receiver(order_refunded, dispatch_uid="loyalty_reverse_for_refund")
def reverse_for_refund(sender, *, order, refund, **kwargs):
    services.points_reverse_for_refund(order=order, refund=refund)
