"""The advocacy app reacting to customers' signals, inside the order's transaction."""

from django.dispatch import receiver

from customers.signals import order_paid, order_refunded

from . import services

# Referrals ----------------------------------------------------------------------------------

@receiver(order_paid, dispatch_uid="referrals_convert_for_paid_order")
def convert_for_paid_order(sender, *, order, **kwargs):
    services.referral_convert_for_order(order=order)


@receiver(order_refunded, dispatch_uid="referrals_refund")
def refund_referral(sender, *, order, refund, **kwargs):
    services.referral_refund(order=order, refund=refund)
