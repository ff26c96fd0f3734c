"""Reading a customer's balance and tier never sums the ledger: an account with 1,000,000
entries reads within 1.2x of one with 10. The entries are inserted with one SQL statement
(generate_series on PostgreSQL, a recursive CTE on SQLite), not through the services.

Also printed, not asserted: the full loyalty summary, whose tier progress reads the period's
orders (amount spent) or entries (points earned) for the program's metric.
"""

import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection

from loyalty.models import LoyaltyAccount, LoyaltyProgram
from loyalty.selectors import account_tier_get, balance_get, loyalty_summary_get
from tests.factories import CustomerFactory, TierFactory

pytestmark = pytest.mark.django_db

BIG = 1_000_000
SMALL = 10
READS = 300
ROUNDS = 7
TARGET = 1.2


def _fill(account: LoyaltyAccount, count: int) -> None:
    """`count` one-point bonus entries for the account, in one statement."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO loyalty_pointsentry (account_id, kind, amount, held, reason, key, "
                "created_at) SELECT %s, 'bonus', 1, false, '', 'bench:' || %s || ':' || g, "
                "now() - g * interval '1 second' FROM generate_series(1, %s) AS g",
                [account.pk, account.pk, count])
        else:
            cursor.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO loyalty_pointsentry (account_id, kind, amount, held, reason, key, "
                "created_at) SELECT %s, 'bonus', 1, 0, '', 'bench:' || %s || ':' || n, "
                "datetime('now', '-' || n || ' seconds') FROM g",
                [count, account.pk, account.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE loyalty_pointsentry")
    LoyaltyAccount.objects.filter(pk=account.pk).update(balance=count)


def _timed(work, customer, reads: int) -> float:
    started = time.perf_counter()
    for _ in range(reads):
        work(customer)
    return (time.perf_counter() - started) / reads


def _ratio(work, big, small, reads=READS, rounds=ROUNDS) -> tuple[float, float, float]:
    """Median seconds per read for each (interleaved rounds), and big / small."""
    work(big), work(small)  # warm caches
    big_times, small_times = [], []
    for _ in range(rounds):
        big_times.append(_timed(work, big, reads))
        small_times.append(_timed(work, small, reads))
    big_s, small_s = statistics.median(big_times), statistics.median(small_times)
    return big_s, small_s, big_s / small_s


def balance_and_tier(customer) -> tuple:
    return balance_get(customer=customer), account_tier_get(customer=customer)


def test_balance_and_tier_read_the_same_for_a_million_entries_as_for_ten():
    gold = TierFactory(name="Gold", position=1, threshold=Decimal("0"))
    big, small = CustomerFactory(), CustomerFactory()
    for customer, count in ((big, BIG), (small, SMALL)):
        account = LoyaltyAccount.objects.create(customer=customer, tier=gold)
        started = time.perf_counter()
        _fill(account, count)
        if count == BIG:
            print(f"\n{connection.vendor}: inserted {count:,} entries in "
                  f"{time.perf_counter() - started:.1f}s")
    assert balance_get(customer=big)["balance"] == BIG

    big_s, small_s, ratio = _ratio(balance_and_tier, big, small)
    print(f"balance + tier: {big_s * 1e6:.0f} µs with {BIG:,} entries, "
          f"{small_s * 1e6:.0f} µs with {SMALL}: ratio {ratio:.2f} (target <= {TARGET})")

    program = LoyaltyProgram.get()
    for metric in (LoyaltyProgram.TierMetric.SPENT, LoyaltyProgram.TierMetric.POINTS):
        program.tier_metric = metric
        program.save()
        big_s, small_s, summary_ratio = _ratio(
            lambda c: loyalty_summary_get(customer=c), big, small, reads=3, rounds=3)
        print(f"full summary ({metric} metric, not a target): {big_s * 1e3:.2f} ms vs "
              f"{small_s * 1e3:.2f} ms: ratio {summary_ratio:.2f}")
    assert ratio <= TARGET
