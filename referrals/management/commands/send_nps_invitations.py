"""manage.py send_nps_invitations: what the hourly beat task does, on demand."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from referrals.nps.services import nps_invitations_create_due


class Command(BaseCommand):
    help = _("Invite customers to the NPS survey for the orders that are due (paid the survey's "
             "delay ago). Safe to run any time: an order is never surveyed twice and the contact "
             "cap holds.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500,
                            help=_("At most this many invitations in one run."))

    def handle(self, *args, limit, **options):
        created = nps_invitations_create_due(limit=limit)
        self.stdout.write(_("%(count)d NPS invitation(s) created.") % {"count": created})
