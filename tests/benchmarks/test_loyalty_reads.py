"""Reading a customer's balance and tier never sums the ledger: an account with 1,000,000
entries (BENCH_READS_ENTRIES) reads within 1.2x of one with 10. The entries are inserted with
one SQL statement (generate_series), not through the services. Measured fairly: rounds of
READS reads of each account, which one goes first alternating from round to round; each
round's ratio, and their median and spread, are printed.

Also printed, not asserted: the full loyalty summary, whose tier progress reads the period's
orders (amount spent) or entries (points earned) for the program's metric.
"""

import os
import time
from decimal import Decimal

import pytest
from django.db import connection

from loyalty.models import LoyaltyAccount, LoyaltyProgram
from loyalty.selectors import account_tier_get, balance_get, loyalty_summary_get
from tests.factories import CustomerFactory, TierFactory

from .load import QUICK, Figure, record

pytestmark = pytest.mark.django_db

BIG = int(os.environ.get("BENCH_READS_ENTRIES", "20000" if QUICK else "1000000"))
SMALL = 10
READS = 300
ROUNDS = 10  # even: each account goes first as often as the other
TARGET = "<= 1.2"


def _fill(account: LoyaltyAccount, count: int) -> None:
    """`count` one-point bonus entries for the account, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO loyalty_pointsentry (account_id, kind, amount, held, reason, key, "
            "created_at) SELECT %s, 'bonus', 1, false, '', 'bench:' || %s || ':' || g, "
            "now() - g * interval '1 second' FROM generate_series(1, %s) AS g",
            [account.pk, account.pk, count])
        cursor.execute("ANALYZE loyalty_pointsentry")
    LoyaltyAccount.objects.filter(pk=account.pk).update(balance=count)


def _timed(work, customer, reads: int) -> float:
    started = time.perf_counter()
    for _ in range(reads):
        work(customer)
    return (time.perf_counter() - started) / reads


def _ratios(work, big, small, reads=READS, rounds=ROUNDS) -> tuple[list[float], float, float]:
    """Each round's big / small (the first account alternating between rounds), and the
    seconds per read of each, in the median round."""
    for _ in range(20):  # warm caches and connections alike
        work(big), work(small)
    rounds_seconds = []
    for number in range(rounds):
        first, second = (big, small) if number % 2 == 0 else (small, big)
        seconds = {first.pk: _timed(work, first, reads)}
        seconds[second.pk] = _timed(work, second, reads)
        rounds_seconds.append((seconds[big.pk], seconds[small.pk]))
    rounds_seconds.sort(key=lambda pair: pair[0] / pair[1])
    big_s, small_s = rounds_seconds[len(rounds_seconds) // 2]
    return [b / s for b, s in rounds_seconds], big_s, small_s


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

    ratios, big_s, small_s = _ratios(balance_and_tier, big, small)
    record(Figure(
        path=f"balance + tier read, {BIG:,} entries / {SMALL} entries", target=TARGET,
        ratios=ratios, detail=f"  median round: {big_s * 1e6:.0f} µs with {BIG:,} entries, "
        f"{small_s * 1e6:.0f} µs with {SMALL}"))

    program = LoyaltyProgram.get()
    for metric in (LoyaltyProgram.TierMetric.SPENT, LoyaltyProgram.TierMetric.POINTS):
        program.tier_metric = metric
        program.save()
        summary, big_s, small_s = _ratios(
            lambda c: loyalty_summary_get(customer=c), big, small, reads=3, rounds=4)
        print(f"full summary ({metric} metric, not a target): {big_s * 1e3:.2f} ms vs "
              f"{small_s * 1e3:.2f} ms: ratio {sorted(summary)[len(summary) // 2]:.2f}")
