"""Every write to the points ledger. Each service posts entries and updates the account's cached
balance and pending points in one transaction (see the accounting in loyalty/models.py)."""

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Activity, Customer, Order
from kernel.bulk import insert_new, objs_add, update_each
from kernel.errors import Conflict, FlywheelError

from ..errors import InsufficientPoints
from ..expiry import lot_expires_at
from ..models import EarningRule, LoyaltyAccount, PointsEntry, PointsLot
from .accounts import account_locked, opened_entries
from .program import program_get
from .tiers import tiers_promote, tiers_promote_locked

Kind = PointsEntry.Kind


def entry_post(*, account_id: int, kind: str, amount: int, key: str, held: bool = False,
          **cause) -> PointsEntry | None:
    """Insert an entry, or None when its idempotency key was already posted. The ledger's
    services (here, reversals.py, earning.py) post through this and `balance_move`; other
    code calls the services."""
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(
                account_id=account_id, kind=kind, amount=amount, key=key, held=held, **cause
            )
    except IntegrityError:
        if PointsEntry.objects.filter(key=key).exists():
            return None
        raise


def balance_move(account_id: int, *, balance: int = 0, pending: int = 0) -> None:
    LoyaltyAccount.objects.filter(pk=account_id).update(
        balance=F("balance") + balance, pending=F("pending") + pending
    )


def _debit(account_id: int, points: int) -> None:
    """Take points from the balance with one conditional UPDATE (balance >= points), so
    concurrent debits never take it below zero; InsufficientPoints when it matches no row."""
    if not LoyaltyAccount.objects.filter(pk=account_id, balance__gte=points).update(
        balance=F("balance") - points
    ):
        raise InsufficientPoints(needed=points)


def points_award(
    *,
    customer: Customer,
    points: int,
    key: str,
    kind: str = Kind.BONUS,
    held_until: dt.datetime | None = None,
    order: Order | None = None,
    activity: Activity | None = None,
    rule: EarningRule | None = None,
    redemption=None,
    reason: str = "",
) -> PointsEntry | None:
    """Give a customer points as a new lot, once per `key`.

    With `held_until` the points are pending (not spendable) until `points_release_due` runs
    after that time; without it they are available at once. Zero points posts nothing.
    """
    if kind not in (Kind.EARN, Kind.BONUS):
        raise ValueError(f"points_award posts earn or bonus entries, not {kind}")
    if points < 0:
        raise ValueError("points_award takes a positive number of points")
    if points == 0:
        return None
    # No savepoint of its own: nothing here catches an error halfway, so the caller's
    # transaction (or its savepoint) rolls the whole award back.
    with transaction.atomic(savepoint=False):
        account = account_locked(customer)
        entry = points_award_locked(account, points=points, key=key, kind=kind,
                                    held_until=held_until, order=order, activity=activity,
                                    rule=rule, redemption=redemption, reason=reason)
        if entry is not None and held_until is None:
            tiers_promote_locked([account])
    return entry


@dataclass
class Grant:
    """Points for an account the caller holds locked, posted by `grants_post`."""

    account: LoyaltyAccount
    points: int
    key: str
    kind: str
    held_until: dt.datetime | None = None
    rule: EarningRule | None = None
    cause: dict = field(default_factory=dict)  # order, activity, redemption, reason


def points_award_locked(account: LoyaltyAccount, *, points: int, key: str, kind: str,
           held_until: dt.datetime | None = None, rule: EarningRule | None = None,
           **cause) -> PointsEntry | None:
    """`points_award` on an account the caller holds locked, without promoting it: callers
    promote once they are done with the account (or know its tier can't change)."""
    return grants_post([Grant(account=account, points=points, key=key, kind=kind,
                              held_until=held_until, rule=rule, cause=cause)])[0]


def grants_post(grants: list[Grant]) -> list[PointsEntry | None]:
    """Post each grant as an entry with its lot, once per key (None for a key already
    posted), and add the points to balances (or pending points while held), whatever the
    number of grants in one INSERT of entries, one of lots and one UPDATE of accounts."""
    if not grants:
        return []
    entries = [PointsEntry(account_id=grant.account.pk, kind=grant.kind, amount=grant.points,
                           key=grant.key, held=grant.held_until is not None, rule=grant.rule,
                           rule_version=grant.rule.version if grant.rule else None,
                           **grant.cause)
               for grant in grants]
    posted = {id(entry) for entry in insert_new(entries, key=("key",))}
    program = program_get()
    lots = []
    moves: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for grant, entry in zip(grants, entries, strict=True):
        if id(entry) not in posted:
            continue
        opened = opened_entries(grant.account)
        if opened is not None:
            opened.append(entry)
        lots.append(PointsLot(
            account_id=grant.account.pk, entry=entry, points=grant.points,
            remaining=grant.points, held_until=grant.held_until,
            expires_at=lot_expires_at(program=program, earned_at=entry.created_at)))
        moves[grant.account.pk][grant.held_until is not None] += grant.points
    objs_add(lots)  # one per new entry: none can conflict
    update_each(LoyaltyAccount, {pk: {"balance": available, "pending": held}
                                 for pk, (available, held) in moves.items()}, add=True)
    return [entry if id(entry) in posted else None for entry in entries]


def points_release_due(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Make held points available once their hold has passed: each due lot gets released_at and
    a `release` entry for what remains of it (key `lot:<id>:release`), moving those points from
    pending to balance. Idempotent: a released lot is never released again. Returns the number
    of lots released."""
    now = now or timezone.now()
    released = 0
    due = PointsLot.objects.filter(released_at__isnull=True, held_until__lte=now)
    while True:
        with transaction.atomic():
            account_ids = list(
                due.order_by("account_id").values_list("account_id", flat=True)
                .distinct()[:batch_size]
            )
            if not account_ids:
                return released
            # Accounts before lots, in id order, as every other ledger write locks them.
            list(LoyaltyAccount.objects.select_for_update().filter(pk__any=account_ids)
                 .order_by("pk").values_list("pk", flat=True))
            lots = list(due.select_for_update().filter(account_id__any=account_ids).order_by("pk"))
            orders = dict(PointsEntry.objects.filter(pk__any=[lot.entry_id for lot in lots])
                          .values_list("pk", "order_id"))
            PointsEntry.objects.bulk_create([
                PointsEntry(account_id=lot.account_id, kind=Kind.RELEASE, amount=lot.remaining,
                            order_id=orders[lot.entry_id], key=f"lot:{lot.pk}:release")
                for lot in lots if lot.remaining > 0
            ])
            PointsLot.objects.filter(pk__any=[lot.pk for lot in lots]).update(released_at=now)
            moved: dict[int, int] = defaultdict(int)
            for lot in lots:
                moved[lot.account_id] += lot.remaining
            moved = {pk: points for pk, points in moved.items() if points}
            if moved:
                update_each(LoyaltyAccount, {pk: {"balance": points, "pending": -points}
                                             for pk, points in moved.items()}, add=True)
                tiers_promote(account_ids=list(moved), now=now)
            released += len(lots)


def points_spend(
    *, account: LoyaltyAccount, amount: int, key: str, redemption=None
) -> PointsEntry:
    """Redeem points, once per `key`. Never takes the balance below zero, however many spends
    arrive at once: the debit is one conditional UPDATE (balance >= amount), and when it
    matches no row the spend fails with InsufficientPoints. A negative balance can't spend."""
    if amount <= 0:
        raise ValueError("points_spend takes a positive number of points")
    with transaction.atomic():
        entry = entry_post(account_id=account.pk, kind=Kind.REDEEM, amount=-amount, key=key,
                      redemption=redemption)
        if entry is None:
            existing = PointsEntry.objects.get(key=key)
            if existing.account_id != account.pk or existing.amount != -amount:
                raise Conflict(_("This redemption key was already used for another spend."),
                               code="idempotency_key_reused")
            return existing
        _debit(account.pk, amount)
    return entry


def points_adjust(
    *, account: LoyaltyAccount, amount: int, by, reason: str, key: str = ""
) -> PointsEntry:
    """A staff member corrects a balance with a reason; both are recorded on the entry.
    A deduction can't take the balance below zero (only a refund's reversal can)."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the points are adjusted.")
    if not amount:
        errors["amount"] = _("Adjust by a number of points other than zero.")
    if errors:
        raise FlywheelError(_("The adjustment is not valid."), fields=errors)
    if by is None or not by.is_staff:
        raise FlywheelError(_("Only staff can adjust points."), code="staff_required")
    with transaction.atomic():
        entry = entry_post(account_id=account.pk, kind=Kind.ADJUST, amount=amount,
                      key=key or f"adjust:{uuid.uuid4().hex}", staff=by, reason=reason)
        if entry is None:
            return PointsEntry.objects.get(key=key)
        if amount > 0:
            balance_move(account.pk, balance=amount)
        else:
            _debit(account.pk, -amount)
    return entry

