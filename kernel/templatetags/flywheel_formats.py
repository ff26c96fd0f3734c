"""{% load flywheel_formats %}: {{ points|number }}, {{ amount|money:"EUR" }},
{{ voucher.expires_at|local_date }} in the page's language (kernel.formats), and
{% filter digits %}{% blocktranslate count ... %}...{% endfilter %} for a translated sentence
around a count (blocktranslate needs the count itself, to choose the plural)."""

from django import template
from django.conf import settings

from kernel import formats

register = template.Library()


@register.filter
def number(value):
    if value in (None, ""):
        return ""
    return formats.number_format(value)


@register.filter
def money(value, currency=""):
    if value in (None, ""):
        return ""
    return formats.money_format(value, currency or settings.SHOP_CURRENCY)


@register.filter
def local_date(value):
    return formats.date_format(value)


@register.filter
def local_datetime(value):
    return formats.datetime_format(value)


@register.filter(is_safe=True)
def digits(value):
    return formats.digits(str(value))
