"""manage.py evaluate_tiers: the tier re-evaluation at period end, for shops that use cron."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from loyalty.services import tiers_recalculate, tiers_reevaluate


class Command(BaseCommand):
    help = _("Re-evaluate every customer's VIP tier: up to what they qualify for, down only "
             "once their retention period or manual tier has ended. Running it twice changes "
             "nothing. With --recalculate, only move people up (as after editing tiers).")

    def add_arguments(self, parser):
        parser.add_argument("--recalculate", action="store_true",
                            help=_("Only move customers up and refresh tier names."))

    def handle(self, *args, recalculate=False, **options):
        if recalculate:
            moved = tiers_recalculate()
            self.stdout.write(_("%(n)d customers moved up.") % {"n": moved})
            return
        counts = tiers_reevaluate()
        self.stdout.write(_("%(up)d customers moved up, %(down)d moved down.") % counts)
