"""The advocacy app reacting to customers' signals, inside the order's transaction."""

from django.dispatch import receiver

from customers.signals import (
    customer_erased,
    customer_export_requested,
    orders_paid,
    orders_refunded,
)

from . import services
from .nps import services as nps_services

# Referrals ----------------------------------------------------------------------------------

@receiver(orders_paid, dispatch_uid="referrals_convert_for_paid_orders")
def convert_for_paid_orders(sender, *, orders, **kwargs):
    services.referrals_convert_for_orders(orders=orders)


@receiver(orders_refunded, dispatch_uid="referrals_refund")
def refund_referrals(sender, *, refunds, **kwargs):
    services.referrals_refund(refunds=refunds)


@receiver(customer_erased, dispatch_uid="referrals_erase_personal_data")
def erase_personal_data(sender, *, customer, emails=(), **kwargs):
    services.referral_personal_data_erase(customer=customer, emails=emails)
    nps_services.nps_personal_data_erase(customer=customer)


@receiver(customer_export_requested, dispatch_uid="referrals_export")
def export_referrals_and_answers(sender, *, customer, **kwargs):
    from .nps.selectors import nps_export
    from .selectors import referral_export

    return {**referral_export(customer=customer), **nps_export(customer=customer)}

