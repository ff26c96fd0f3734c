"""`manage.py loyalty_audit` proves the cached balances equal the ledger, or exits non-zero."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from loyalty import services
from loyalty.models import LoyaltyAccount, PointsLot
from tests.factories import CustomerFactory, EarningRuleFactory, OrderFactory, RefundFactory
from tests.loyalty.conftest import audit

pytestmark = pytest.mark.django_db


def audit_failure() -> str:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("loyalty_audit", stdout=StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def busy_ledger():
    """Accounts with bonuses, held, released, refunded and spent points."""
    EarningRuleFactory()
    paid = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for n in range(3):
        customer = CustomerFactory()
        services.points_award(customer=customer, points=20, key=f"welcome:{n}")
        order = OrderFactory(customer=customer, total=Decimal("60.00"), paid_at=paid)
        services.points_award_for_order(order=order)
        later = OrderFactory(customer=customer, total=Decimal("30.00"),
                             paid_at=paid + dt.timedelta(days=10))
        services.points_award_for_order(order=later)
        services.points_release_due(now=paid + dt.timedelta(days=15))
        account = LoyaltyAccount.objects.get(customer=customer)
        services.points_spend(account=account, amount=70, key=f"redemption:{n}")
        for order_, amount in ((order, "60.00"), (later, "10.00")):
            row = RefundFactory(order=order_, amount=Decimal(amount))
            services.points_reverse_for_refund(order=order_, refund=row)
    return LoyaltyAccount.objects.order_by("pk")


def test_a_consistent_ledger_passes_with_a_summary(busy_ledger):
    assert [(a.balance, a.pending) for a in busy_ledger] == [(-50, 20)] * 3

    output = audit()

    assert "3 accounts" in output
    assert "-150 points available, 60 pending" in output
    assert "Ledger consistent" in output


def test_an_empty_ledger_passes():
    assert "0 accounts" in audit()


def test_a_cached_balance_that_drifted_from_the_entries_fails_naming_the_account(busy_ledger):
    broken = busy_ledger[1]
    LoyaltyAccount.objects.filter(pk=broken.pk).update(balance=999)

    errors = audit_failure()

    assert f"account {broken.pk} " in errors
    assert f"account {busy_ledger[0].pk} " not in errors


def test_pending_points_that_do_not_match_the_held_lots_fail(busy_ledger):
    lot = PointsLot.objects.filter(released_at__isnull=True, held_until__isnull=False).first()
    PointsLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining - 1)

    assert f"account {lot.account_id} " in audit_failure()


def test_a_negative_balance_without_a_reversal_fails():
    customer = CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)
    services.points_award(customer=customer, points=5, key="welcome")
    services.points_spend(account=account, amount=5, key="redemption:1")
    audit()

    LoyaltyAccount.objects.filter(pk=account.pk).update(balance=-5)

    assert "negative without a reversal" in audit_failure()
