"""What every shopper page's template knows about the shop: its branding (read only when a
template uses it) and the storefront's address."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _branding():
    from customers.models import Branding

    return Branding.cached()


def shop(request) -> dict:
    return {"branding": SimpleLazyObject(_branding), "shop_url": settings.SHOP_URL}
