"""What every shopper page's template knows about the shop: its branding (read only when a
template uses it) and the storefront's address."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _branding():
    from customers.models import Branding

    return Branding.cached()


def shop(request) -> dict:
    return {"branding": SimpleLazyObject(_branding), "shop_url": settings.SHOP_URL}


def email_branding() -> dict:
    """The shop's name, colour and logo (an absolute address) for every e-mail."""
    branding = _branding()
    logo = branding.logo.url if branding.logo else ""
    if logo and not logo.startswith(("http://", "https://")):
        logo = settings.SITE_URL + logo
    return {"site_name": branding.name, "brand_colour": branding.primary_colour,
            "brand_text_colour": branding.text_colour, "logo_url": logo}
