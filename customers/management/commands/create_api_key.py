from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from customers.services import api_key_create


class Command(BaseCommand):
    # Commands are imported after Django is set up, so plain gettext translates here.
    help = _("Create an API key for a shop system. The raw key is printed once, on the last "
             "line.")

    def add_arguments(self, parser):
        parser.add_argument("name", help=_("Who uses the key, e.g. 'Shopify'."))

    def handle(self, *args, name, **options):
        api_key, raw_key = api_key_create(name=name)
        self.stdout.write(
            _("Created API key “%(name)s” (prefix %(prefix)s). Copy it now: it won't be shown "
              "again.") % {"name": api_key.name, "prefix": api_key.prefix}
        )
        self.stdout.write(raw_key)
