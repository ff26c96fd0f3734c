"""Tier moves under races, on PostgreSQL with real threads."""

from decimal import Decimal

import pytest

from loyalty import services
from loyalty.models import LoyaltyAccount, Redemption, TierChange
from loyalty.selectors import balance_get
from tests.conftest import at_once
from tests.factories import CustomerFactory, RewardFactory, TierFactory
from tests.loyalty.conftest import audit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_awards_crossing_a_threshold_at_once_move_up_once_with_one_welcome():
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("100"), entry_points=25,
                entry_reward=RewardFactory(name="Gold gift", cost=1000))
    customer = CustomerFactory()
    services.points_award(customer=customer, points=1, key="start")

    results = at_once(10, lambda i: services.points_award(
        customer=customer, points=20, key=f"review:{i}"))

    assert not [r for r in results if isinstance(r, Exception)]
    account = LoyaltyAccount.objects.select_related("tier").get(customer=customer)
    assert account.tier.name == "Gold"
    assert TierChange.objects.filter(account=account, to_tier__name="Gold").count() == 1
    assert balance_get(customer=customer)["balance"] == 1 + 200 + 25
    assert Redemption.objects.filter(account=account, points=0).count() == 1
    audit()


def test_re_evaluation_and_awards_at_once_leave_one_consistent_tier():
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("50"))
    customers = [CustomerFactory() for _ in range(8)]
    for customer in customers:
        services.points_award(customer=customer, points=10, key=f"start:{customer.pk}")

    def work(i):
        if i == 0:
            return services.tiers_reevaluate()
        customer = customers[i % len(customers)]
        return services.points_award(customer=customer, points=60, key=f"bonus:{i}")

    results = at_once(9, work)

    assert not [r for r in results if isinstance(r, Exception)]
    names = set(LoyaltyAccount.objects.filter(customer__in=customers)
                .values_list("tier__name", flat=True))
    assert names == {"Silver"}
    for account in LoyaltyAccount.objects.filter(customer__in=customers):
        changes = list(TierChange.objects.filter(account=account).order_by("pk"))
        assert changes[-1].to_name == "Silver"
    audit()



def test_awards_at_once_to_a_customer_without_an_account_open_one_and_move_up_once_each():
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("100"), entry_points=25)
    customer = CustomerFactory()  # no account yet: the first award to lock it opens it

    results = at_once(8, lambda i: services.points_award(
        customer=customer, points=20, key=f"review:{i}"))

    assert not [r for r in results if isinstance(r, Exception)]
    account = LoyaltyAccount.objects.select_related("tier").get(customer=customer)
    assert (account.tier.name, account.balance) == ("Gold", 8 * 20 + 25)
    assert list(TierChange.objects.filter(account=account).order_by("pk")
                .values_list("to_name", flat=True)) == ["Member", "Gold"]
    audit()
