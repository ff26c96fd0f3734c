"""Expiry of points (per `LoyaltyProgram.expiry`, rules in loyalty/expiry.py), the reminders
before it, and vouchers past their date."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from customers.models import Activity, Customer
from customers.services import activity_record, activity_record_many

from .. import expiry
from ..models import LoyaltyAccount, LoyaltyProgram, PointsEntry, PointsLot, Redemption

Kind = PointsEntry.Kind
POINTS_EXPIRING = "points_expiring"


def _due_lots(program: LoyaltyProgram, until: dt.datetime):
    lots = expiry.available_lots()
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        lots = lots.annotate(last_activity=expiry.last_activity_subquery())
    return lots.filter(expiry.due_filter(program=program, until=until))


def points_expire_due(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Expire the lots due at `now` under the program's expiry rule, oldest first, in batches
    of accounts; returns the number of points expired.

    Set-based: per batch, a handful of statements whatever the number of lots (lock the
    accounts, read their lots, insert the `expire` entries, zero the lots, move the balances,
    record one `points_expired` activity per account). Each lot expires only what the
    customer's spending left of it (first in, first out, see loyalty/expiry.py) and posts at
    most one entry (key `lot:<id>:expire`), so a second run, or a second worker, expires
    nothing twice."""
    now = now or timezone.now()
    program = LoyaltyProgram.get()
    if program.expiry == LoyaltyProgram.Expiry.NEVER:
        return 0
    expired_points = 0
    after = 0
    while True:
        with transaction.atomic():
            account_ids = list(
                _due_lots(program, now).filter(account_id__gt=after).order_by("account_id")
                .values_list("account_id", flat=True).distinct()[:batch_size]
            )
            if not account_ids:
                return expired_points
            after = account_ids[-1]
            expired_points += _expire_batch(program, account_ids, now)


def _expire_batch(program: LoyaltyProgram, account_ids: list[int], now: dt.datetime) -> int:
    # Accounts first, in id order, as every other ledger write locks them.
    accounts = dict(LoyaltyAccount.objects.select_for_update().filter(pk__in=account_ids)
                    .order_by("pk").values_list("pk", "balance"))
    customers = dict(LoyaltyAccount.objects.filter(pk__in=account_ids)
                     .values_list("pk", "customer_id"))
    due_ids = set(_due_lots(program, now).filter(account_id__in=account_ids)
                  .values_list("pk", flat=True))
    lots_by_account: dict[int, list[PointsLot]] = defaultdict(list)
    for lot in (expiry.available_lots().filter(account_id__in=account_ids)
                .only("pk", "account_id", "remaining", "created_at")):
        lots_by_account[lot.account_id].append(lot)
    entries, lost, first_lot = [], defaultdict(int), {}
    for account_id, lots in lots_by_account.items():
        shares = expiry.lot_shares(lots=lots, balance=accounts[account_id])
        for lot in lots:
            if lot.pk not in due_ids:
                continue
            first_lot.setdefault(account_id, lot.pk)
            if shares[lot.pk]:
                lost[account_id] += shares[lot.pk]
                entries.append(PointsEntry(
                    account_id=account_id, kind=Kind.EXPIRE, amount=-shares[lot.pk],
                    key=f"lot:{lot.pk}:expire", created_at=now))
    PointsEntry.objects.bulk_create(entries, batch_size=2000)
    PointsLot.objects.filter(pk__in=_due_lots(program, now).filter(
        account_id__in=account_ids).values("pk")).update(remaining=0)
    if lost:
        shift = Case(*[When(pk=pk, then=Value(points)) for pk, points in lost.items()],
                     default=Value(0))
        LoyaltyAccount.objects.filter(pk__in=lost).update(balance=F("balance") - shift)
    activity_record_many(rows=[
        {"customer_id": customers[account_id], "kind": Activity.Kind.POINTS_EXPIRED,
         "occurred_at": now, "key": f"points_expired:{account_id}:{first_lot[account_id]}",
         "data": {"points": points}}
        for account_id, points in lost.items()
    ])
    return sum(lost.values())


def points_expiry_remind(*, now: dt.datetime | None = None) -> int:
    """Warn customers `expiry_reminder_days` before their points expire: for each account, one
    `points_expiring` activity per expiry date (data `{"points": n, "expires_at": iso}`, key
    `points_expiring:<account>:<date>`, so a date is announced once however often this
    runs) and one email listing the dates announced now. Returns the number of customers
    reminded."""
    from ..selectors import points_expiring_soon

    now = now or timezone.now()
    program = LoyaltyProgram.get()
    if program.expiry == LoyaltyProgram.Expiry.NEVER:
        return 0
    until = now + dt.timedelta(days=program.expiry_reminder_days)
    account_ids = (_due_lots(program, until).order_by("account_id")
                   .values_list("account_id", flat=True).distinct())
    reminded = 0
    for customer in Customer.objects.filter(loyalty_account__in=account_ids).iterator():
        soon = points_expiring_soon(customer=customer, now=now)
        keys = {_reminder_key(customer, row["expires_at"]): row for row in soon}
        sent = set(Activity.objects.filter(key__in=keys).values_list("key", flat=True))
        new = [(key, row) for key, row in keys.items() if key not in sent]
        if not new:
            continue
        with transaction.atomic():
            activity_ids = [
                activity_record(
                    customer=customer, kind=POINTS_EXPIRING, key=key, occurred_at=now,
                    data={"points": row["points"], "expires_at": row["expires_at"].isoformat()},
                ).pk
                for key, row in new
            ]
            from ..tasks import points_expiring_email_task

            points_expiring_email_task.delay_on_commit(customer.pk, activity_ids)
        reminded += 1
    return reminded


def _reminder_key(customer: Customer, expires_at: dt.datetime) -> str:
    return f"{POINTS_EXPIRING}:{customer.pk}:{timezone.localdate(expires_at).isoformat()}"


def vouchers_expire_due(*, now: dt.datetime | None = None) -> int:
    """Mark issued vouchers past their expiry date as expired (one UPDATE); returns how many.
    Expired vouchers cannot be used, and their points are not given back."""
    now = now or timezone.now()
    return Redemption.objects.filter(
        status=Redemption.Status.ISSUED, expires_at__lte=now).update(
        status=Redemption.Status.EXPIRED)
