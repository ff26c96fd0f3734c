"""What lives inside the shop's own pages: embed.js and its widget API, publishable keys and
signed shopper identity, discount codes pushed to the shop's platform."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = _("Storefront")

    def ready(self):
        from . import receivers  # noqa: F401
