"""manage.py send_due_webhooks: send the outbound webhooks whose retry is due."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from customers.segments.services.webhooks import outbound_deliveries_due


class Command(BaseCommand):
    help = _("Send pending outbound webhook deliveries whose next attempt is due (what the "
             "five-minute task does).")

    def handle(self, *args, **options):
        count = outbound_deliveries_due()
        self.stdout.write(_("Queued %(n)d due deliveries.") % {"n": count})
