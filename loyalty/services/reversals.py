"""Taking points back: a refunded order's share, a cancelled order's rest, an activity's earn
(a referral refunded after its hold, say) and a tier's withdrawn entry bonus. Every one is a
`reverse` entry posted by `earn_reverse`, once per key.

During the hold a reversal cancels held points; after the release it takes available points,
and the balance may go negative (see ARCHITECTURE.md).
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from customers.models import Activity, Order, Refund

from ..earning import refund_points
from ..models import LoyaltyAccount, PointsEntry, PointsLot
from .ledger import balance_move, entry_post

Kind = PointsEntry.Kind


def earn_reverse(earn: PointsEntry, lot: PointsLot | None, *, key: str, points: int,
                 beyond_lot: bool = False, **cause) -> PointsEntry | None:
    """Take `points` of an earn back from an account the caller holds locked, once per key:
    from pending points while its lot is held, else from the balance. At most what the lot
    still holds, unless `beyond_lot` (an activity's reversal takes back all it earned, spent
    or expired); what the lot holds goes down by what it can give."""
    if lot is not None and not beyond_lot:
        points = min(points, lot.remaining)
    if points <= 0 or PointsEntry.objects.filter(key=key).exists():
        return None
    held = bool(lot and lot.is_held)
    entry = entry_post(account_id=earn.account_id, kind=Kind.REVERSE, amount=-points, key=key,
                       held=held, **cause)
    if entry is None:
        return None
    taken = min(lot.remaining, points) if lot is not None else 0
    if lot is not None and taken:
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - taken)
        lot.remaining -= taken
    if held:
        balance_move(earn.account_id, pending=-points)
    else:
        balance_move(earn.account_id, balance=-points)
    return entry


def _earn_locked(**cause) -> tuple[PointsEntry | None, PointsLot | None]:
    """The earn entry of an order or activity with its lot, account and lot locked (account
    first, as every ledger write locks them); (None, None) when it earned nothing."""
    earn = PointsEntry.objects.filter(kind=Kind.EARN, **cause).first()
    if earn is None:
        return None, None
    LoyaltyAccount.objects.select_for_update().filter(pk=earn.account_id).first()
    return earn, PointsLot.objects.select_for_update().filter(entry=earn).first()


def points_reverse_for_refund(*, order: Order, refund: Refund) -> PointsEntry | None:
    """Take back the points an order earned on the money a refund gave back, once per refund
    (key `order:<source>:<id>:refund:<refund id>:reverse`): the refund's share of the earn
    (refund_points). When the refunds add up to the whole order, what their shares leave of the
    earn (rounding) is reversed too (key `order:<source>:<id>:refunded`), so a refunded order
    keeps nothing, and each entry is the same whatever order the refunds arrived in.
    """
    with transaction.atomic():
        earn, lot = _earn_locked(order=order)
        if earn is None:
            return None
        prefix = f"order:{order.source}:{order.external_id}"
        entry = earn_reverse(earn, lot, key=f"{prefix}:refund:{refund.external_id}:reverse",
                             points=refund_points(earned=earn.amount, refunded=refund.amount,
                                                  total=order.total),
                             order=order, refund=refund)
        if order.refunded_total >= order.total:
            # What the refunds' shares leave of the earn, whichever of them came first.
            shares = sum(refund_points(earned=earn.amount, refunded=amount, total=order.total)
                         for amount in order.refunds.values_list("amount", flat=True))
            earn_reverse(earn, lot, key=f"{prefix}:refunded", points=earn.amount - shares,
                         order=order, reason=_("Order refunded in full"))
    return entry


def points_cancel_for_order(*, order: Order) -> PointsEntry | None:
    """A cancelled order loses the points it earned, once (key `order:<source>:<id>:cancel`):
    whatever its earn lot still holds after refunds is reversed."""
    with transaction.atomic():
        earn, lot = _earn_locked(order=order)
        if earn is None:
            return None
        return earn_reverse(earn, lot, key=f"order:{order.source}:{order.external_id}:cancel",
                            points=lot.remaining if lot is not None else 0, order=order,
                            reason="order cancelled")


def points_reverse_for_activity(*, activity: Activity, reason: str = "") -> PointsEntry | None:
    """Post one reversing entry for everything an activity earned, once (key
    `activity:<id>:reverse`); None when it earned nothing or was already reversed.

    What is left of the earn's lot is cancelled first; points already spent are taken from the
    balance all the same, which may then go negative (as with refunds, see ARCHITECTURE.md).
    """
    with transaction.atomic():
        earn, lot = _earn_locked(activity=activity)
        if earn is None:
            return None
        return earn_reverse(earn, lot, key=f"activity:{activity.pk}:reverse", points=earn.amount,
                            beyond_lot=True, activity=activity,
                            reason=reason or _("Reversed: %(kind)s")
                            % {"kind": activity.kind_label})
