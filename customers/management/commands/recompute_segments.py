"""manage.py recompute_segments: stages, RFM scores, CLV and segment memberships, now."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from customers.segments.selectors import value_model_message
from customers.services import segments_recompute


class Command(BaseCommand):
    help = _("Recompute every customer's lifecycle stage, RFM scores and CLV with the value "
             "model fitted to the shop's orders, and the members of every custom segment (what "
             "the nightly task does).")

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
        fit = result.value_model
        if fit.is_fitted:
            self.stdout.write(_(
                "Value model fitted to %(sample)d of %(buyers)d customers with orders, everyone "
                "scored, backtest included, in %(seconds).1f s: r=%(r).4g alpha=%(alpha).4g "
                "days a=%(a).4g b=%(b).4g, p=%(p).4g q=%(q).4g gamma=%(gamma).4g.") % {
                "sample": fit.sample, "buyers": fit.buyers, "seconds": fit.seconds, "r": fit.r,
                "alpha": fit.alpha, "a": fit.a, "b": fit.b, "p": fit.p, "q": fit.q,
                "gamma": fit.gamma})
            mae = fit.backtest.get("mae", {}).get("spend")
            if mae:
                self.stdout.write(_(
                    "Backtest over the last %(weeks)d weeks, mean error of spend per customer: "
                    "model %(model).2f, same for everyone %(same).2f, run rate %(rate).2f.") % {
                    "weeks": round(fit.backtest["days"] / 7), "model": mae["model"],
                    "same": mae["same_for_everyone"], "rate": mae["run_rate"]})
        else:
            self.stdout.write(value_model_message(fit))
