"""Re-derive every account's points from the ledger and check the invariants of
ARCHITECTURE.md ("The points ledger"). Exits non-zero on any breach."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot


def _sum(queryset, field: str):
    total = (queryset.filter(account=OuterRef("pk")).order_by().values("account")
             .annotate(total=Sum(field)).values("total"))
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def _kept_on_refunded_money():
    """Orders whose points outlive their money: an order refunded in full or cancelled whose
    earned lot still holds points, or a partly refunded one holding more than its kept share
    (each refund rounds down, so at most one point per refund above the exact share). Points
    that expired or were spent are not the order's any more; what its lot holds is."""
    from customers.models import Order

    earned = PointsLot.objects.filter(entry__order=OuterRef("pk"),
                                      entry__kind=PointsEntry.Kind.EARN)
    orders = (Order.objects.filter(Q(refunded_total__gt=0) | Q(cancelled_at__isnull=False))
              .annotate(earned=Subquery(earned.values("points")[:1]),
                        kept=Subquery(earned.values("remaining")[:1]),
                        refund_count=Count("refunds", distinct=True))
              .filter(earned__gt=0))
    return [
        (o.source, o.external_id, o.customer_id, o.earned, o.kept, o.refunded_total, o.total)
        for o in orders.iterator()
        if (o.kept != 0 if (o.cancelled_at or o.refunded_total >= o.total) else
            o.kept * o.total > o.earned * (o.total - o.refunded_total) + o.refund_count * o.total)
    ]


class Command(BaseCommand):
    help = ("Re-derive every loyalty balance and pending total from the entries and lots, check "
            "the ledger's invariants, and exit non-zero on any breach.")

    def handle(self, *args, **options):
        entries = PointsEntry.objects.all()
        accounts = LoyaltyAccount.objects.annotate(
            derived_balance=_sum(entries.filter(held=False), "amount"),
            held_in=_sum(entries.filter(held=True), "amount"),
            released=_sum(entries.filter(kind=PointsEntry.Kind.RELEASE), "amount"),
            lots_held=_sum(PointsLot.objects.filter(held_until__isnull=False,
                                                    released_at__isnull=True), "remaining"),
            reversals=_sum(entries.filter(kind=PointsEntry.Kind.REVERSE, held=False), "amount"),
        ).annotate(derived_pending=F("held_in") - F("released"))
        broken = accounts.filter(
            ~Q(balance=F("derived_balance"))
            | ~Q(pending=F("derived_pending"))
            | ~Q(pending=F("lots_held"))
            | Q(pending__lt=0)
            | Q(balance__lt=0, reversals=0)
        ).order_by("pk")

        problems = []
        for account in broken:
            problems.append(
                f"account {account.pk} (customer {account.customer_id}): "
                f"balance {account.balance} vs entries {account.derived_balance}; "
                f"pending {account.pending} vs entries {account.derived_pending} "
                f"vs lots {account.lots_held}"
                + ("; negative without a reversal" if account.balance < 0 and not account.reversals
                   else "")
            )
        bad_lots = PointsLot.objects.filter(
            Q(remaining__lt=0) | Q(remaining__gt=F("points")) | ~Q(points=F("entry__amount"))
            | ~Q(account=F("entry__account"))
        ).values_list("pk", flat=True)
        problems += [f"lot {pk}: remaining outside 0..points or not matching its entry"
                     for pk in bad_lots]
        problems += [
            f"order {source}:{external_id} (customer {account}): keeps {kept} of the {earned} "
            f"points it earned after {refunded} of {total} came back"
            for source, external_id, account, earned, kept, refunded, total
            in _kept_on_refunded_money()]
        duplicates = (entries.order_by().values("key").annotate(n=Count("id")).filter(n__gt=1)
                      .values_list("key", flat=True))
        problems += [f"idempotency key {key!r} used more than once" for key in duplicates]

        totals = LoyaltyAccount.objects.aggregate(
            accounts=Count("id"), balance=Coalesce(Sum("balance"), 0),
            pending=Coalesce(Sum("pending"), 0),
        )
        self.stdout.write(
            f"{totals['accounts']} accounts, {entries.count()} entries, "
            f"{totals['balance']} points available, {totals['pending']} pending."
        )
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger invariant breach(es).")
        self.stdout.write(self.style.SUCCESS("Ledger consistent."))
