"""Taking points back: a refunded order's share, a cancelled order's rest, an activity's earn
(a referral refunded after its hold, say) and a tier's withdrawn entry bonus. Every one is a
`reverse` entry posted by `takes_post`, once per key, for a whole batch in a fixed number of
statements (a single refund or order is a batch of one).

During the hold a reversal cancels held points; after the release it takes available points,
and the balance may go negative (see ARCHITECTURE.md).
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Activity, Order, Refund
from kernel.bulk import insert_new, update_each

from ..earning import refund_points
from ..models import LoyaltyAccount, PointsEntry, PointsLot

Kind = PointsEntry.Kind


@dataclass
class Take:
    """Points to take back from an earn (or bonus) entry, once per key, posted by `takes_post`.
    At most what the entry's lot still holds, unless `beyond_lot` (an activity's reversal takes
    back all it earned, spent or expired)."""

    earn: PointsEntry
    key: str
    points: int
    beyond_lot: bool = False
    cause: dict = field(default_factory=dict)  # order, refund, activity, reason


def takes_post(takes: list[Take], lots: dict[int, PointsLot]) -> list[PointsEntry | None]:
    """Post each take as a `reverse` entry on accounts the caller holds locked, with the lots
    (by earn entry id) locked too: in turn, each from pending points while its lot is held, else
    from the balance, and what the lot holds goes down by what it can give. A key already
    posted, or a take of nothing, posts nothing (None). One SELECT of keys, one INSERT of
    entries, one UPDATE of lots and one of accounts, whatever the number of takes."""
    if not takes:
        return []
    posted = set(PointsEntry.objects.filter(key__any={take.key for take in takes})
                 .values_list("key", flat=True))
    remaining = {earn_id: lot.remaining for earn_id, lot in lots.items()}
    planned: list[tuple[PointsEntry, PointsLot | None, int]] = []
    entries: list[PointsEntry | None] = []
    for take in takes:
        lot = lots.get(take.earn.pk)
        points = take.points
        if lot is not None and not take.beyond_lot:
            points = min(points, remaining[take.earn.pk])
        if points <= 0 or take.key in posted:
            entries.append(None)
            continue
        posted.add(take.key)
        taken = 0
        if lot is not None:
            taken = min(remaining[take.earn.pk], points)
            remaining[take.earn.pk] -= taken
        entry = PointsEntry(account_id=take.earn.account_id, kind=Kind.REVERSE, amount=-points,
                            key=take.key, held=bool(lot and lot.is_held), **take.cause)
        planned.append((entry, lot, taken))
        entries.append(entry)
    inserted = {id(entry) for entry in insert_new([entry for entry, _l, _t in planned],
                                                  key=("key",))}
    lot_moves: dict[int, int] = defaultdict(int)
    account_moves: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for entry, lot, taken in planned:
        if id(entry) not in inserted:
            continue
        if lot is not None and taken:
            lot_moves[lot.pk] -= taken
            lot.remaining -= taken
        account_moves[entry.account_id][entry.held] += entry.amount
    update_each(PointsLot, {pk: {"remaining": moved} for pk, moved in lot_moves.items()},
                add=True)
    update_each(LoyaltyAccount, {pk: {"balance": available, "pending": held}
                                 for pk, (available, held) in account_moves.items()}, add=True)
    return [entry if entry is not None and id(entry) in inserted else None
            for entry in entries]


def earn_reverse(earn: PointsEntry, lot: PointsLot | None, *, key: str, points: int,
                 beyond_lot: bool = False, **cause) -> PointsEntry | None:
    """`takes_post` for one take, on an account (and lot) the caller holds locked."""
    return takes_post([Take(earn=earn, key=key, points=points, beyond_lot=beyond_lot,
                            cause=cause)], {earn.pk: lot} if lot is not None else {})[0]


def _earns_locked(cause: str, ids: Collection[int]
                  ) -> tuple[dict[int, PointsEntry], dict[int, PointsLot]]:
    """The earn entries of some orders or activities (`cause` "order" or "activity"), by their
    id, and their lots by earn id, with the accounts and lots locked (accounts first, in id
    order, as every ledger write locks them)."""
    earns = {getattr(earn, f"{cause}_id"): earn for earn in PointsEntry.objects
             .filter(kind=Kind.EARN, **{f"{cause}__in": ids}).order_by("created_at", "id")}
    if not earns:
        return {}, {}
    list(LoyaltyAccount.objects.select_for_update()
         .filter(pk__any={earn.account_id for earn in earns.values()}).order_by("pk")
         .values_list("pk", flat=True))
    lots = {lot.entry_id: lot for lot in PointsLot.objects.select_for_update()
            .filter(entry__any=list(earns.values())).order_by("pk")}
    return earns, lots


def points_reverse_for_refunds(*, refunds: list[Refund]) -> list[PointsEntry]:
    """Take back the points each order earned on the money its refunds gave back, once per
    refund (key `order:<source>:<id>:refund:<refund id>:reverse`): the refund's share of the
    earn (refund_points). When an order's refunds add up to its whole total, what their shares
    leave of the earn (rounding) is reversed too (key `order:<source>:<id>:refunded`), so a
    refunded order keeps nothing, and each entry is the same whatever order the refunds
    arrived in. Refunds carry their order; the entries posted, in a fixed number of statements
    for the whole batch."""
    if not refunds:
        return []
    with transaction.atomic():
        earns, lots = _earns_locked("order", {refund.order_id for refund in refunds})
        full = {refund.order_id for refund in refunds if refund.order_id in earns
                and refund.order.refunded_total >= refund.order.total}
        amounts: dict[int, list] = defaultdict(list)
        for order_id, amount in (Refund.objects.filter(order__any=full)
                                 .values_list("order_id", "amount") if full else ()):
            amounts[order_id].append(amount)
        takes = []
        for refund in refunds:
            order = refund.order
            earn = earns.get(order.pk)
            if earn is None:
                continue
            prefix = f"order:{order.source}:{order.external_id}"
            takes.append(Take(earn=earn, key=f"{prefix}:refund:{refund.external_id}:reverse",
                              points=refund_points(earned=earn.amount, refunded=refund.amount,
                                                   total=order.total),
                              cause={"order": order, "refund": refund}))
            if order.pk in full:
                # What the refunds' shares leave of the earn, whichever of them came first.
                shares = sum(refund_points(earned=earn.amount, refunded=amount,
                                           total=order.total) for amount in amounts[order.pk])
                takes.append(Take(earn=earn, key=f"{prefix}:refunded",
                                  points=earn.amount - shares,
                                  cause={"order": order, "reason": _("Order refunded in full")}))
        posted = takes_post(takes, lots)
    return [entry for take, entry in zip(takes, posted, strict=True)
            if entry is not None and "refund" in take.cause]


def points_reverse_for_refund(*, order: Order, refund: Refund) -> PointsEntry | None:
    """`points_reverse_for_refunds` for one refund of an order: its entry, or None."""
    refund.order = order
    return next(iter(points_reverse_for_refunds(refunds=[refund])), None)


def points_cancel_for_orders(*, orders: list[Order]) -> list[PointsEntry]:
    """Cancelled orders lose the points they earned, once each (key
    `order:<source>:<id>:cancel`): whatever each earn lot still holds after refunds is
    reversed. The entries posted, in a fixed number of statements for the whole batch."""
    if not orders:
        return []
    with transaction.atomic():
        earns, lots = _earns_locked("order", {order.pk for order in orders})
        takes = [Take(earn=earn, key=f"order:{order.source}:{order.external_id}:cancel",
                      points=lot.remaining if (lot := lots.get(earn.pk)) else 0,
                      cause={"order": order, "reason": "order cancelled"})
                 for order in orders if (earn := earns.get(order.pk)) is not None]
        return [entry for entry in takes_post(takes, lots) if entry is not None]


def points_cancel_for_order(*, order: Order) -> PointsEntry | None:
    """`points_cancel_for_orders` for one order: its entry, or None."""
    return next(iter(points_cancel_for_orders(orders=[order])), None)


def points_reverse_for_activities(*, activities: list[Activity], reason: str = ""
                                  ) -> list[PointsEntry]:
    """Post one reversing entry for everything each activity earned, once (key
    `activity:<id>:reverse`), in a fixed number of statements for the batch: the entries
    posted (none for an activity that earned nothing or was already reversed).

    What is left of an earn's lot is cancelled first; points already spent are taken from the
    balance all the same, which may then go negative (as with refunds, see ARCHITECTURE.md).
    """
    if not activities:
        return []
    with transaction.atomic():
        earns, lots = _earns_locked("activity", {activity.pk for activity in activities})
        takes = [Take(earn=earn, key=f"activity:{activity.pk}:reverse", points=earn.amount,
                      beyond_lot=True,
                      cause={"activity": activity, "reason": reason or _("Reversed: %(kind)s")
                             % {"kind": activity.kind_label}})
                 for activity in activities if (earn := earns.get(activity.pk)) is not None]
        return [entry for entry in takes_post(takes, lots) if entry is not None]


def points_reverse_for_activity(*, activity: Activity, reason: str = "") -> PointsEntry | None:
    """`points_reverse_for_activities` for one activity: its entry, or None when it earned
    nothing or was already reversed."""
    return next(iter(points_reverse_for_activities(activities=[activity], reason=reason)), None)
