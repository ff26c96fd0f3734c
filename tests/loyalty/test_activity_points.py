"""Fixed points for activities on the timeline (quiz completed, NPS answered, custom kinds)."""

import pytest

from customers.services import activity_record
from loyalty import services
from loyalty.models import LoyaltyProgram
from loyalty.selectors import activity_points_earned, activity_points_preview, balance_get
from tests.conftest import assert_configuration_read_once_per_batch
from tests.factories import ActivityRuleFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_an_activity_with_an_active_rule_earns_its_points_once():
    ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    customer = CustomerFactory()

    first = activity_record(customer=customer, kind="quiz_completed", key="quiz:1:done")
    again = activity_record(customer=customer, kind="quiz_completed", key="quiz:1:done")

    assert again.pk == first.pk
    assert balance_get(customer=customer) == {"balance": 50, "pending": 0}
    assert activity_points_earned(activity=first) == 50


def test_activities_without_an_active_rule_earn_nothing():
    ActivityRuleFactory(activity_kind="review_written", points=20, is_active=False)
    customer = CustomerFactory()

    activity = activity_record(customer=customer, kind="review_written")

    assert balance_get(customer=customer)["balance"] == 0
    assert activity_points_earned(activity=activity) == 0
    assert activity_points_preview(activity_kind="review_written") == 0


def test_the_preview_shows_what_the_active_rule_would_give():
    ActivityRuleFactory(activity_kind="nps_answered", points=25)

    assert activity_points_preview(activity_kind="nps_answered") == 25


# Configuration read once per batch of deliveries


def test_a_batch_of_activities_reads_the_activity_rules_once():
    ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    LoyaltyProgram.get()
    customers = CustomerFactory.create_batch(11)

    assert_configuration_read_once_per_batch(
        lambda customer: activity_record(customer=customer, kind="quiz_completed",
                                         key=f"quiz:{customer.pk}:done"),
        customers)

    assert [balance_get(customer=c)["balance"] for c in customers] == [50] * 11


def test_outside_a_batch_a_changed_activity_rule_counts_from_the_next_activity():
    rule = ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    customer = CustomerFactory()

    activity_record(customer=customer, kind="quiz_completed", key="quiz:1:done")
    services.earning_rule_update(rule=rule, points=80)
    activity_record(customer=customer, kind="quiz_completed", key="quiz:2:done")

    assert balance_get(customer=customer)["balance"] == 50 + 80
