"""Whatever happens, in whatever order, the ledger stays consistent (hypothesis)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import services
from loyalty.errors import InsufficientPoints
from loyalty.models import LoyaltyAccount, LoyaltyProgram, PointsEntry
from loyalty.selectors import balance_get
from tests.factories import (
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RefundFactory,
    UserFactory,
)
from tests.loyalty.conftest import audit

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
who = st.integers(0, 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), who, st.integers(0, 200)),
        st.tuples(st.just("bonus"), who, st.integers(1, 100)),
        st.tuples(st.just("spend"), who, st.integers(1, 150)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100)),
        st.tuples(st.just("wait"), st.integers(0, 20)),
        st.tuples(st.just("adjust"), who, st.integers(-60, 60).filter(bool)),
        st.tuples(st.just("expire"), st.integers(0, 40)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
    ),
    max_size=25,
)


class Shop:
    """Runs one sequence of operations and checks the rules after each."""

    def __init__(self):
        self.customers = [CustomerFactory(), CustomerFactory()]
        self.staff = UserFactory(is_staff=True)
        self.orders = []  # (order, refundable)
        self.now = START
        self.n = 0

    def key(self, prefix):
        self.n += 1
        return f"{prefix}:{self.n}"

    def run(self, op):
        kind, *args = op
        with time_machine.travel(self.now, tick=False):
            getattr(self, kind)(*args)

    def earn(self, who, total):
        order = OrderFactory(customer=self.customers[who], total=Decimal(total),
                             placed_at=self.now, paid_at=self.now)
        services.points_award_for_order(order=order)
        self.orders.append([order, Decimal(total)])

    def bonus(self, who, points):
        services.points_award(customer=self.customers[who], points=points,
                              key=self.key("bonus"))

    def spend(self, who, points):
        customer = self.customers[who]
        account = services.loyalty_account_get_or_create(customer=customer)
        before = balance_get(customer=customer)["balance"]
        try:
            services.points_spend(account=account, amount=points, key=self.key("spend"))
        except InsufficientPoints:
            assert before < points
        else:
            assert before >= points

    def refund(self, index, percent):
        if not self.orders:
            return
        pair = self.orders[index % len(self.orders)]
        order, refundable = pair
        amount = min(refundable, (order.total * percent / 100).quantize(Decimal("0.01")))
        if amount <= 0:
            return
        pair[1] -= amount
        row = RefundFactory(order=order, amount=amount, external_id=self.key("refund"))
        services.points_reverse_for_refund(order=order, refund=row)
        replay = services.points_reverse_for_refund(order=order, refund=row)
        assert replay is None

    def wait(self, days):
        self.now += dt.timedelta(days=days)
        services.points_release_due(now=self.now)

    def adjust(self, who, points):
        account = services.loyalty_account_get_or_create(customer=self.customers[who])
        try:
            services.points_adjust(account=account, amount=points, by=self.staff,
                                   reason="Property test")
        except InsufficientPoints:
            assert points < 0

    def expire(self, days):
        """Time passes (lots expire a month after they were earned) and the expiry runs."""
        self.now += dt.timedelta(days=days)
        before = {a.pk: a.balance for a in LoyaltyAccount.objects.all()}
        services.points_release_due(now=self.now)
        services.points_expire_due(now=self.now)
        services.points_expire_due(now=self.now)  # a second run expires nothing more
        for account in LoyaltyAccount.objects.all():
            assert account.balance >= min(before.get(account.pk, 0), 0)
        keys = list(PointsEntry.objects.filter(kind="expire").values_list("key", flat=True))
        assert len(keys) == len(set(keys))

    def cancel(self, index):
        if not self.orders:
            return
        pair = self.orders[index % len(self.orders)]
        order = pair[0]
        order.cancelled_at = self.now
        order.save()
        services.points_cancel_for_order(order=order)
        assert services.points_cancel_for_order(order=order) is None
        pair[1] = Decimal(0)

    def check(self):
        for account in LoyaltyAccount.objects.all():
            assert account.pending >= 0
            if account.balance < 0:
                assert PointsEntry.objects.filter(account=account, kind="reverse",
                                                  held=False).exists()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=operations)
def test_after_any_sequence_the_audit_passes_and_only_reversals_go_negative(db, operations):
    with transaction.atomic():
        EarningRuleFactory()
        LoyaltyProgram.objects.update_or_create(pk=1, defaults={
            "expiry": LoyaltyProgram.Expiry.AFTER_EARNING, "expiry_months": 1})
        shop = Shop()
        for op in operations:
            shop.run(op)
            shop.check()
        audit()
        transaction.set_rollback(True)
