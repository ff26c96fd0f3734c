"""When points expire: the program's rule turned into dates and first-in-first-out shares.

Used by the selector that shows "points expiring soon" and by the services that remind and expire,
so both read the same rule:

- `never`: nothing expires.
- `after_earning`: a lot expires `expiry_months` after it was earned (`PointsLot.expires_at`,
  set when the lot is created; lots earned before the program switched to this mode count
  from their creation date).
- `inactivity`: all of an account's lots expire `expiry_months` after its last activity (the
  latest earn, bonus or redeem entry).

Only available points expire: a held lot (still in its return window) never does. Redemptions
do not touch lots, so what is left of each lot is worked out first in, first out: the points
the customer spent or lost are taken from the oldest lots first, and a lot expires only what
they left of it (`lot_shares`).
"""

import datetime as dt
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.db.models import Max, OuterRef, Q, Subquery

from .models import LoyaltyProgram, PointsEntry, PointsLot

ACTIVITY_KINDS = (PointsEntry.Kind.EARN, PointsEntry.Kind.BONUS, PointsEntry.Kind.REDEEM)


def months_before(when: dt.datetime, months: int) -> dt.datetime:
    return when - relativedelta(months=months)


def months_after(when: dt.datetime, months: int) -> dt.datetime:
    return when + relativedelta(months=months)


def lot_expires_at(*, program: LoyaltyProgram, earned_at: dt.datetime) -> dt.datetime | None:
    """The date stored on a new lot: set only in `after_earning` mode."""
    if program.expiry != LoyaltyProgram.Expiry.AFTER_EARNING:
        return None
    return months_after(earned_at, program.expiry_months)


def available_lots():
    """Lots whose remaining points are available (never held, or released), oldest first."""
    return (PointsLot.objects.filter(remaining__gt=0)
            .filter(Q(held_until__isnull=True) | Q(released_at__isnull=False))
            .order_by("account_id", "created_at", "id"))


def last_activity_subquery():
    return Subquery(
        PointsEntry.objects.filter(account_id=OuterRef("account_id"), kind__in=ACTIVITY_KINDS)
        .order_by().values("account_id").annotate(last=Max("created_at")).values("last")[:1]
    )


def due_filter(*, program: LoyaltyProgram, until: dt.datetime) -> Q | None:
    """Lots (of `available_lots()`) that expire at or before `until`; None when nothing can.
    In inactivity mode the queryset must be annotated with `last_activity`."""
    months = program.expiry_months
    if program.expiry == LoyaltyProgram.Expiry.AFTER_EARNING:
        return Q(expires_at__lte=until) | Q(
            expires_at__isnull=True, created_at__lte=months_before(until, months))
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        return Q(last_activity__lte=months_before(until, months))
    return None


def expiry_of(*, program: LoyaltyProgram, lot: PointsLot, last_activity=None) -> dt.datetime:
    """When this lot expires under the program (mode `after_earning` or `inactivity`)."""
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        return months_after(last_activity, program.expiry_months)
    return lot.expires_at or months_after(lot.created_at, program.expiry_months)


def lot_shares(*, lots: Iterable[PointsLot], balance: int) -> dict[int, int]:
    """What is left of each of an account's available lots, first in, first out.

    `lots` are all the account's available lots, oldest first; `balance` its available points.
    The points the lots hold beyond the balance were spent (or taken back), and come out of
    the oldest lots first; positive adjustments, which have no lot, never expire."""
    lots = list(lots)
    consumed = max(sum(lot.remaining for lot in lots) - max(balance, 0), 0)
    shares = {}
    for lot in lots:
        taken = min(consumed, lot.remaining)
        consumed -= taken
        shares[lot.pk] = lot.remaining - taken
    return shares
