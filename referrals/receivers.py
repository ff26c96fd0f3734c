"""The advocacy app reacting to customers' signals, inside the order's transaction."""

from django.dispatch import receiver

from customers.signals import customer_erased, orders_paid, orders_refunded

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
def erase_personal_data(sender, *, customer, **kwargs):
    services.referral_personal_data_erase(customer=customer)
    nps_services.nps_personal_data_erase(customer=customer)
