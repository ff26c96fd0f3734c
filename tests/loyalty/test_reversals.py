"""Taking back the points an activity earned (a referral refunded after its hold)."""

import pytest

from customers.services import activity_record
from loyalty import services
from loyalty.models import LoyaltyAccount
from loyalty.selectors import balance_get
from tests.factories import ActivityRuleFactory, CustomerFactory
from tests.loyalty.conftest import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def earned():
    ActivityRuleFactory(activity_kind="referral_converted", points=300)
    customer = CustomerFactory()
    activity = activity_record(customer=customer, kind="referral_converted", key="ref:1")
    assert balance_get(customer=customer)["balance"] == 300
    return customer, activity


def test_the_points_come_back_once(earned):
    customer, activity = earned

    entry = services.points_reverse_for_activity(activity=activity, reason="Refunded")
    again = services.points_reverse_for_activity(activity=activity)

    assert (entry.kind, entry.amount, entry.reason) == ("reverse", -300, "Refunded")
    assert again is None
    assert balance_get(customer=customer)["balance"] == 0
    assert LoyaltyAccount.objects.get(customer=customer).entries.count() == 2
    audit()


def test_points_already_spent_take_the_balance_negative(earned):
    customer, activity = earned
    services.points_spend(account=LoyaltyAccount.objects.get(customer=customer), amount=200,
                          key="spend:1")

    services.points_reverse_for_activity(activity=activity)

    assert balance_get(customer=customer)["balance"] == -200
    audit()


def test_an_activity_that_earned_nothing_reverses_nothing():
    customer = CustomerFactory()
    activity = activity_record(customer=customer, kind="no_rule_for_this")

    assert services.points_reverse_for_activity(activity=activity) is None
    assert balance_get(customer=customer)["balance"] == 0
