"""`{% load money %}{{ product.price|money:product.currency }}`: money the one way (€40.50)."""

from django import template

from kernel.currencies import money_format

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    from django.conf import settings

    return money_format(amount, currency or settings.SHOP_CURRENCY)
