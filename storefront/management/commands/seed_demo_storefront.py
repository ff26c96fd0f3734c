"""manage.py seed_demo_storefront: the demo shop's storefront (publishable key, origins, theme)
for /demo-shop/; idempotent."""

import os

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from storefront import services
from storefront.models import PublishableKey
from storefront.views import DEMO_KEY_NAME


class Command(BaseCommand):
    help = _("Create the demo shop's storefront key (run by seed_demo).")

    def handle(self, *args, **options):
        port = os.environ.get("PORT", "8000")
        origins = f"http://127.0.0.1:{port}\nhttp://localhost:{port}"
        key = PublishableKey.objects.filter(name=DEMO_KEY_NAME).first()
        if key is None:
            key = services.publishable_key_create(
                name=DEMO_KEY_NAME, platform=PublishableKey.Platform.GENERIC,
                allowed_origins=origins, signup_url=f"http://127.0.0.1:{port}/signup/",
                login_url=f"http://127.0.0.1:{port}/demo-shop/#log-in",
                add_to_cart_url="https://shop.example.com/cart/add?sku={sku}",
                launcher_text="")
        elif origins not in key.allowed_origins:
            key.allowed_origins = "\n".join(filter(None, [key.allowed_origins, origins]))
            key.save(update_fields=["allowed_origins"])
        self.stdout.write(_("Demo storefront: http://127.0.0.1:%(port)s/demo-shop/ "
                            "(publishable key %(key)s)") % {"port": port, "key": key.key})
