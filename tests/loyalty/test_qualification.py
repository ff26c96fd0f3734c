"""What counts toward a tier, asked of the database and of entries in memory: the same answers."""

from decimal import Decimal

import pytest

from loyalty import qualification as q
from loyalty import services
from loyalty.models import LoyaltyAccount, LoyaltyProgram, PointsEntry
from tests.conftest import at
from tests.factories import CustomerFactory, RewardFactory, UserFactory
from tests.loyalty.conftest import customer_with

pytestmark = pytest.mark.django_db

Kind = PointsEntry.Kind
YEAR = q.period_window(period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR,
                       now=at("2026-06-01T12:00:00Z"))
IN_YEAR = at("2026-06-01T10:00:00Z")


def test_an_entry_counts_toward_the_points_metric_in_memory_as_in_the_database():
    customer = customer_with(100)
    redemption = services.redemption_create(customer=customer, reward=RewardFactory(cost=50))
    staff = UserFactory(is_staff=True)
    cases = {
        "earned": dict(kind=Kind.EARN, amount=10),
        "earned, held": dict(kind=Kind.EARN, amount=10, held=True),
        "released": dict(kind=Kind.RELEASE, amount=10),
        "reversed": dict(kind=Kind.REVERSE, amount=-5),
        "reversed while held": dict(kind=Kind.REVERSE, amount=-5, held=True),
        "bonus": dict(kind=Kind.BONUS, amount=10),
        "voucher cancelled": dict(kind=Kind.BONUS, amount=10, redemption=redemption),
        "tier entry points": dict(kind=Kind.BONUS, amount=10, key="tier:1:entry:1"),
        "redeemed": dict(kind=Kind.REDEEM, amount=-3),
        "expired": dict(kind=Kind.EXPIRE, amount=-2),
        "adjusted": dict(kind=Kind.ADJUST, amount=7, staff=staff, reason="goodwill"),
        "first moment of the year": dict(kind=Kind.EARN, amount=10,
                                         created_at=at("2026-01-01T00:00:00Z")),
        "last year": dict(kind=Kind.EARN, amount=10,
                          created_at=at("2025-12-31T23:59:59.999999Z")),
        "next year": dict(kind=Kind.EARN, amount=10, created_at=at("2027-01-01T00:00:00Z")),
    }
    entries = {}
    for name, fields in cases.items():
        account = LoyaltyAccount.objects.create(customer=CustomerFactory())
        fields = {"key": f"case:{name}", "created_at": IN_YEAR, **fields}
        entries[account.pk] = (name, PointsEntry.objects.create(account=account, **fields))

    stored = q.qualifying_values(metric=LoyaltyProgram.TierMetric.POINTS, window=YEAR,
                                 account_ids=entries)

    in_memory = {name: q.opened_account_value(metric=LoyaltyProgram.TierMetric.POINTS,
                                              window=YEAR, entries=[entry])
                 for name, entry in entries.values()}
    assert in_memory == {name: stored.get(pk, Decimal("0"))
                         for pk, (name, _entry) in entries.items()}
    assert {name for name, value in in_memory.items() if value} == {
        "earned", "released", "reversed", "bonus", "first moment of the year"}


def test_the_metrics_that_count_orders_are_never_known_in_memory():
    for metric in (LoyaltyProgram.TierMetric.SPENT, LoyaltyProgram.TierMetric.ORDERS):
        assert q.opened_account_value(metric=metric, window=YEAR, entries=[]) is None
