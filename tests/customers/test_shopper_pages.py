"""Shopper pages that say what things are: the front page explains the program from its own
rules, the points history names each entry's cause, "What you told us" shows the choices'
labels, the timeline leaves out the shop's internal events, and "customer since" is the first
order or sign-up, whichever came first."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Activity
from customers.services import activity_record
from loyalty import services as loyalty_services
from quizzes.responses import services as quiz_services
from referrals import services as referral_services
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    QuizVersionFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_the_front_page_says_how_to_earn_the_tiers_and_the_quizzes(client, settings):
    settings.SHOP_URL = "https://shop.example.com"
    settings.SHOP_CURRENCY = "EUR"
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    ActivityRuleFactory(name="Referral", activity_kind="referral_converted", points=200)
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("500"), perks="Free shipping",
                earn_multiplier=Decimal("1.5"))
    QuizVersionFactory(quiz__title="Find your skincare routine")

    page = client.get("/").content.decode()

    assert "1 point per €1 spent" in page
    assert "50 points for taking a quiz" in page
    assert "200 points when a friend you referred places their first order" in page
    assert "Gold" in page and "Earn 500 points" in page and "Free shipping" in page
    assert "Earn 1.5× points" in page
    assert "Find your skincare routine" in page
    assert 'href="https://shop.example.com"' in page


def signed_in(client):
    user = UserFactory(email="ada@example.com", first_name="Ada")
    customer = CustomerFactory(email="ada@example.com", user=user,
                               created_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    client.force_login(user)
    return customer


def test_the_points_history_names_the_cause_of_each_entry(
        client, django_capture_on_commit_callbacks):
    customer = signed_in(client)
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    ActivityRuleFactory(name="Referral", activity_kind="referral_converted", points=200)
    version = QuizVersionFactory(quiz__title="Find your skincare routine")
    with django_capture_on_commit_callbacks(execute=True):
        loyalty_services.points_award_for_order(order=OrderFactory(
            customer=customer, name="#1001", total=Decimal("40.00"),
            shop_total=Decimal("40.00"), paid_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
        response = quiz_services.quiz_response_start(version=version, customer=customer)
        quiz_services.quiz_response_answer_many(response=response,
                                                raw_answers={"q1": "c2", "q3": ["c6"]})
        lena = CustomerFactory(email="lena@example.org", first_name="Lena")
        code = referral_services.referral_code_get_or_create(customer=customer)
        referral = referral_services.referral_signup(code=code, email=lena.email)
        activity_record(customer=customer, kind=Activity.Kind.REFERRAL_CONVERTED,
                        data={"referral": referral.pk}, key="test:referral")
        loyalty_services.redemption_create(customer=customer, reward=RewardFactory(
            name="€5 off", cost=10))

    page = client.get(reverse("account")).content.decode()

    for cause in ("Order #1001", "Quiz: Find your skincare routine",
                  "Lena joined with your link", "Redeemed: €5 off"):
        assert f'data-testid="points-cause">{cause}' in page, cause
    # What you told us: the choices' labels, not their stored values.
    assert "Dry" in page and "Cold climate" in page and ">dry<" not in page


def test_the_timeline_hides_internal_events_and_customer_since_is_the_first_order(client):
    customer = signed_in(client)
    OrderFactory(customer=customer, placed_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC))
    customer.first_order_at = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    customer.save(update_fields=["first_order_at"])
    activity_record(customer=customer, kind=Activity.Kind.STAGE_CHANGED,
                    data={"from": "new", "to": "active"})
    activity_record(customer=customer, kind=Activity.Kind.ORDER_PAID, reference="#1001")

    page = client.get(reverse("account")).content.decode()

    assert "Lifecycle stage changed" not in page
    assert "Order paid" in page
    assert 'datetime="2025-03-02' in page  # customer since: the first order, before sign-up
