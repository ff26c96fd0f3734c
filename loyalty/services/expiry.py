"""Expiry of points (per `LoyaltyProgram.expiry`, rules in loyalty/expiry.py), the reminders
before it, and vouchers past their date."""

import datetime as dt

from django.db import transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    IntegerField,
    RowRange,
    Sum,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils import timezone

from customers.models import Activity, Customer
from customers.services import activity_record, activity_record_many

from .. import expiry
from ..models import LoyaltyAccount, LoyaltyProgram, PointsEntry, PointsLot, Redemption

Kind = PointsEntry.Kind


def _due_lots(program: LoyaltyProgram, until: dt.datetime):
    lots = expiry.available_lots()
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        lots = lots.annotate(last_activity=expiry.last_activity_subquery())
    return lots.filter(expiry.due_filter(program=program, until=until))


def points_expire_due(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Expire the lots due at `now` under the program's expiry rule, oldest first, in batches
    of accounts; returns the number of points expired.

    Set-based in the database: per batch, a handful of statements whatever the number of lots,
    and nothing built per lot in Python (lock the accounts, sum what each loses, INSERT ...
    SELECT the `expire` entries, zero the lots, move the balances, record one
    `points_expired` activity per account). Each lot expires only what the customer's
    spending left of it (first in, first out, see loyalty/expiry.py); an account posts one
    `expire` entry per run for all its lots due at once (key `expire:<account>:<first lot>`,
    the id of the first of those lots, which is zeroed with them), so a second run, or a
    second worker, expires nothing twice, and a run writes one row per account, not per lot."""
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
    customers = dict(LoyaltyAccount.objects.select_for_update().filter(pk__any=account_ids)
                     .order_by("pk").values_list("pk", "customer_id"))
    shares, params = _shares_sql(program, account_ids, now)
    connection = transaction.get_connection()
    entries, lots = PointsEntry._meta.db_table, PointsLot._meta.db_table
    accounts = LoyaltyAccount._meta.db_table
    # The shares are worked out once: on PostgreSQL one statement writes the entries, the
    # lots and the balances from them (data-modifying WITH); elsewhere a temporary table
    # holds them for the same three writes.
    insert = (f"INSERT INTO {entries} (account_id, kind, amount, held, reason, key, "
              f"created_at) SELECT account_id, %s, -points, %s, '', "
              f"'expire:' || account_id || ':' || first_due, %s FROM lost")
    insert_params = [Kind.EXPIRE, False, connection.ops.adapt_datetimefield_value(now)]
    lost_sql = ("SELECT account_id, SUM(share) AS points, MIN(first_due) AS first_due "
                "FROM expiry_shares "
                "GROUP BY account_id HAVING SUM(share) > 0")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH expiry_shares AS MATERIALIZED ({shares}), lost AS ({lost_sql}), "
                f"entries AS ({insert}), "
                # The accounts named again, so each UPDATE finds its rows by index.
                f"lots AS (UPDATE {lots} SET remaining = 0 FROM expiry_shares "
                f"WHERE {lots}.id = expiry_shares.id AND {lots}.account_id = ANY(%s) "
                f"AND {lots}.remaining > 0), "
                f"balances AS (UPDATE {accounts} SET balance = balance - lost.points FROM lost "
                f"WHERE {accounts}.id = lost.account_id AND {accounts}.id = ANY(%s)) "
                "SELECT * FROM lost", [*params, *insert_params, account_ids, account_ids])
            lost = {account_id: (int(points), first_due)
                    for account_id, points, first_due in cursor.fetchall()}
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE expiry_shares AS {shares}", params)
            cursor.execute(f"CREATE TEMPORARY TABLE lost AS {lost_sql}")
            cursor.execute(insert, insert_params)
            cursor.execute(f"UPDATE {lots} SET remaining = 0 "
                           "WHERE id IN (SELECT id FROM expiry_shares)")
            cursor.execute(f"UPDATE {accounts} SET balance = balance - (SELECT SUM(share) "
                           f"FROM expiry_shares WHERE expiry_shares.account_id = {accounts}.id) "
                           "WHERE id IN (SELECT account_id FROM expiry_shares WHERE share > 0)")
            cursor.execute("SELECT account_id, points, first_due FROM lost")
            lost = {account_id: (int(points), first_due)
                    for account_id, points, first_due in cursor.fetchall()}
            cursor.execute("DROP TABLE lost")
            cursor.execute("DROP TABLE expiry_shares")
    activity_record_many(rows=[
        {"customer_id": customers[account_id], "kind": Activity.Kind.POINTS_EXPIRED,
         "occurred_at": now, "key": f"points_expired:{account_id}:{first_due}",
         "data": {"points": points}}
        for account_id, (points, first_due) in lost.items()
    ])
    return sum(points for points, _lot in lost.values())


def _shares_sql(program: LoyaltyProgram, account_ids: list[int],
                now: dt.datetime) -> tuple[str, list]:
    """SQL (and its parameters) for the accounts' due lots with what each expires: its
    `share` (loyalty/expiry.py's `lot_shares`, first in, first out, worked out in the database
    with window functions over all the account's available lots) and the id of the account's
    first due lot (`first_due`, which names the expiry on the timeline)."""
    due = expiry.due_filter(program=program, until=now)
    assert due is not None, "points_expire_due stops before a batch when nothing expires"
    lots = expiry.available_lots().order_by().filter(account_id__any=account_ids)
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        lots = lots.annotate(last_activity=expiry.last_activity_subquery())
    points: IntegerField = IntegerField()
    oldest_first = [F("created_at").asc(), F("id").asc()]
    held = Window(Sum("remaining"), partition_by=[F("account_id")], output_field=points)
    before = Coalesce(Window(Sum("remaining"), partition_by=[F("account_id")],
                             order_by=oldest_first, frame=RowRange(start=None, end=-1)),
                      0, output_field=points)
    balance = Greatest(F("account__balance"), 0, output_field=points)
    spent = Greatest(held - balance, 0, output_field=points)
    remaining = Cast("remaining", points)
    lots = lots.annotate(
        due=ExpressionWrapper(due, output_field=BooleanField()),
        share=ExpressionWrapper(
            remaining - Least(Greatest(spent - before, 0, output_field=points), remaining,
                              output_field=points), output_field=points),
    ).values("id", "account_id", "created_at", "due", "share")
    sql, params = lots.query.sql_with_params()
    return (f"SELECT id, account_id, share, FIRST_VALUE(id) OVER (PARTITION BY account_id "
            f"ORDER BY created_at, id) AS first_due FROM ({sql}) lots WHERE due"), list(params)


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
    for customer in Customer.objects.filter(loyalty_account__any=account_ids).iterator():
        soon = points_expiring_soon(customer=customer, now=now)
        keys = {_reminder_key(customer, row["expires_at"]): row for row in soon}
        sent = set(Activity.objects.filter(key__any=keys).values_list("key", flat=True))
        new = [(key, row) for key, row in keys.items() if key not in sent]
        if not new:
            continue
        with transaction.atomic():
            activity_ids = [
                activity_record(
                    customer=customer, kind=Activity.Kind.POINTS_EXPIRING, key=key, occurred_at=now,
                    data={"points": row["points"], "expires_at": row["expires_at"].isoformat()},
                ).pk
                for key, row in new
            ]
            from ..tasks import points_expiring_email_task

            points_expiring_email_task.delay_on_commit(customer.pk, activity_ids)
        reminded += 1
    return reminded


def _reminder_key(customer: Customer, expires_at: dt.datetime) -> str:
    day = timezone.localdate(expires_at).isoformat()
    return f"{Activity.Kind.POINTS_EXPIRING.value}:{customer.pk}:{day}"


def vouchers_expire_due(*, now: dt.datetime | None = None) -> int:
    """Mark issued vouchers past their expiry date as expired (one UPDATE); returns how many.
    Expired vouchers cannot be used, and their points are not given back."""
    now = now or timezone.now()
    return Redemption.objects.filter(
        status=Redemption.Status.ISSUED, expires_at__lte=now).update(
        status=Redemption.Status.EXPIRED)
