"""Fixed points for activities on the timeline (quiz completed, NPS answered, custom kinds)."""

import pytest

from customers.services import activity_record
from loyalty.selectors import activity_points_earned, activity_points_preview, balance_get
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
