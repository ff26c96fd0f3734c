"""Storefront reacting to loyalty: issued vouchers become discount codes in the shop."""

from django.dispatch import receiver

from loyalty.signals import vouchers_cancelled, vouchers_issued


@receiver(vouchers_issued, dispatch_uid="storefront_discount_codes_for_vouchers")
def discount_codes_for_vouchers(sender, *, redemptions, **kwargs):
    from .discounts import discount_syncs_create

    discount_syncs_create(redemptions=redemptions)


@receiver(vouchers_cancelled, dispatch_uid="storefront_discount_codes_for_cancelled_vouchers")
def discount_codes_for_cancelled_vouchers(sender, *, redemptions, **kwargs):
    from .discounts import discount_syncs_withdraw

    discount_syncs_withdraw(redemptions=redemptions)
