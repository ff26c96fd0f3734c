"""Expiry is set-based, and earning on an order costs a fixed number of queries.

Runs on the test database of DATABASE_URL (PostgreSQL). BENCH_EXPIRY_LOTS sets the number of
lots (default 1,000,000) spread over BENCH_EXPIRY_ACCOUNTS accounts (default 10,000).

- Expiry: the lots are built with bulk SQL, then `points_expire_due` expires them all. Printed:
  lots per second against the target (>= 50,000), and beside it the time bulk SQL took to
  write the same lots and their entries (the expiry writes as many rows, plus the lots'
  update, the balances and the activities).
- Earning: the queries `points_award_for_order` runs for 1 rule and 1 line, and for 20 rules
  and 50 lines. Printed: both; they are equal.
"""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Order, OrderLine
from loyalty import services
from loyalty.models import EarningRule, LoyaltyAccount, LoyaltyProgram, PointsEntry, Tier

from .load import QUICK, Figure, record

LOTS = int(os.environ.get("BENCH_EXPIRY_LOTS", "20000" if QUICK else "1000000"))
ACCOUNTS = int(os.environ.get("BENCH_EXPIRY_ACCOUNTS", "200" if QUICK else "10000"))
EARNED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
EXPIRED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _build_lots() -> float:
    """ACCOUNTS accounts holding LOTS lots of 10 points, expired at EXPIRED; bulk SQL."""
    Customer.objects.bulk_create(
        [Customer(email=f"bench{i}@example.com") for i in range(ACCOUNTS)], batch_size=5000)
    customers = Customer.objects.filter(email__startswith="bench").values_list("pk", flat=True)
    LoyaltyAccount.objects.bulk_create(
        [LoyaltyAccount(customer_id=pk) for pk in customers], batch_size=5000)
    first = LoyaltyAccount.objects.order_by("pk").values_list("pk", flat=True).first()
    assert LoyaltyAccount.objects.filter(pk__gte=first, pk__lt=first + ACCOUNTS).count() \
        == ACCOUNTS
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO loyalty_pointsentry (account_id, kind, amount, held, reason, key, "
            f"created_at) SELECT {first} + (i %% {ACCOUNTS}), 'bonus', 10, %s, '', "
            f"'bench:' || i, %s FROM generate_series(0, {LOTS - 1}) AS numbers(i)",
            [False, EARNED])
        cursor.execute(
            "INSERT INTO loyalty_pointslot (account_id, entry_id, points, remaining, "
            "expires_at, created_at) SELECT account_id, id, amount, amount, %s, created_at "
            "FROM loyalty_pointsentry WHERE key LIKE 'bench:%%'", [EXPIRED])
        cursor.execute(
            "UPDATE loyalty_loyaltyaccount SET balance = (SELECT SUM(amount) FROM "
            "loyalty_pointsentry e WHERE e.account_id = loyalty_loyaltyaccount.id)")
        cursor.execute("ANALYZE loyalty_pointsentry")
        cursor.execute("ANALYZE loyalty_pointslot")
        cursor.execute("ANALYZE loyalty_loyaltyaccount")
    return time.perf_counter() - started


@pytest.mark.django_db(transaction=True)
def test_expiring_a_million_lots_is_set_based():
    LoyaltyProgram.objects.update_or_create(pk=1, defaults={
        "expiry": LoyaltyProgram.Expiry.AFTER_EARNING, "expiry_months": 12})
    build = _build_lots()

    started = time.perf_counter()
    expired = services.points_expire_due(now=EXPIRED + dt.timedelta(days=1))
    elapsed = time.perf_counter() - started

    assert expired == LOTS * 10
    assert PointsEntry.objects.filter(kind="expire").count() == ACCOUNTS  # one per account
    assert not LoyaltyAccount.objects.exclude(balance=0).exists()
    print()
    record(Figure(
        path=f"expiry of {LOTS:,} lots over {ACCOUNTS:,} accounts", target=">= 50000",
        unit="lots/s", ratios=[LOTS / elapsed],
        detail=f"  {elapsed:.1f} s; writing the lots and their entries with bulk SQL took "
        f"{build:.1f} s (expiry / build {elapsed / build:.2f})"))


def _order(lines: int) -> Order:
    customer = Customer.objects.create(email=f"lines{lines}@example.com")
    services.loyalty_account_get_or_create(customer=customer)
    paid = dt.datetime(2026, 11, 6, 10, tzinfo=dt.UTC)
    order = Order.objects.create(customer=customer, source="generic",
                                 external_id=f"bench-{lines}", currency="EUR",
                                 total=Decimal("250.00"), shop_total=Decimal("250.00"),
                                 shop_net=Decimal("250.00"), placed_at=paid, paid_at=paid,
                                 source_updated_at=paid)
    OrderLine.objects.bulk_create([
        OrderLine(order=order, sku=f"SKU-{i}", name="Serum", quantity=1,
                  unit_price=Decimal("5.00")) for i in range(lines)])
    return Order.objects.get(pk=order.pk)


def _rules(count: int, tiers: list[Tier]) -> None:
    EarningRule.objects.update(is_active=False)
    for i in range(count):
        rule = EarningRule.objects.create(
            name=f"Rule {i}", points_per_unit=Decimal(1 + i % 3), min_order_total=Decimal(i),
            cap_count=None if i % 2 else 5, cap_period="month", multiplier=Decimal("1"))
        rule.tiers.set(tiers[: i % 3])


@pytest.mark.django_db
def test_earning_on_an_order_costs_the_same_queries_for_1_or_20_rules():
    LoyaltyProgram.get()
    tiers = [Tier.objects.create(name=f"T{i}", position=i + 1, threshold=i * 100)
             for i in range(3)]
    counts = {}
    for rules, lines in ((1, 1), (20, 50)):
        _rules(rules, tiers)
        order = _order(lines)
        with CaptureQueriesContext(connection) as queries:
            entry = services.points_award_for_order(order=order)
        assert entry is not None
        counts[(rules, lines)] = len(queries.captured_queries)

    print(f"\nearn on order: {counts[(1, 1)]} queries with 1 rule and 1 line, "
          f"{counts[(20, 50)]} with 20 rules and 50 lines")
    assert counts[(1, 1)] == counts[(20, 50)]
