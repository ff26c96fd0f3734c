"""manage.py recompute_segments: stages, RFM scores, CLV and segment memberships, now."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from customers.services import segments_recompute


class Command(BaseCommand):
    help = _("Recompute every customer's lifecycle stage, RFM scores and CLV, and the members "
             "of every custom segment (what the nightly task does).")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help=_("Compute as of this ISO time (default: now). "
                                              "The same time on the same data agrees."))
        parser.add_argument("--quiet-history", action="store_true",
                            help=_("Record stage changes on the timeline without announcing "
                                   "them (no webhooks, no win-back offers)."))

    def handle(self, *args, as_of=None, quiet_history=False, **options):
        when = None
        if as_of:
            when = parse_datetime(as_of)
            if when is None or when.tzinfo is None:
                raise CommandError(_("--as-of needs an ISO time with a zone, e.g. "
                                     "2026-06-30T00:00:00Z."))
        started = time.perf_counter()
        result = segments_recompute(as_of=when, announce=not quiet_history)
        self.stdout.write(_(
            "Scored %(customers)d customers as of %(as_of)s in %(seconds).1f s: %(changes)d "
            "stage changes (%(announced)d announced), %(entries)d segment entries."
        ) % {"customers": result.customers, "as_of": result.as_of.isoformat(),
             "seconds": time.perf_counter() - started, "changes": result.stage_changes,
             "announced": result.announced, "entries": result.segment_entries})
