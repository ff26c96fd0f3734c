"""The advocacy app reacting to customers' signals, inside the order's transaction."""

from django.dispatch import receiver

from customers.signals import (
    customer_erased,
    customer_export_requested,
    order_paid,
    order_refunded,
)

from . import services
from .nps import services as nps_services

# Referrals ----------------------------------------------------------------------------------

@receiver(order_paid, dispatch_uid="referrals_convert_for_paid_order")
def convert_for_paid_order(sender, *, order, **kwargs):
    services.referral_convert_for_order(order=order)


@receiver(order_refunded, dispatch_uid="referrals_refund")
def refund_referral(sender, *, order, refund, **kwargs):
    services.referral_refund(order=order, refund=refund)


@receiver(customer_erased, dispatch_uid="referrals_erase_personal_data")
def erase_personal_data(sender, *, customer, emails=(), **kwargs):
    services.referral_personal_data_erase(customer=customer, emails=emails)
    nps_services.nps_personal_data_erase(customer=customer)


@receiver(customer_export_requested, dispatch_uid="referrals_export")
def export_referrals_and_answers(sender, *, customer, **kwargs):
    from .nps.selectors import nps_export
    from .selectors import referral_export

    return {**referral_export(customer=customer), **nps_export(customer=customer)}

