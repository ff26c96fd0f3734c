"""Referral races on PostgreSQL with real threads: double sign-ups, double reward runs and a
click flood from one IP."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.ingestion.generic import parse_order
from customers.services import order_apply
from loyalty.models import Redemption
from loyalty.selectors import balance_get
from referrals import services
from referrals.models import Referral, ReferralClick
from referrals.services.referrals import CLICKS_PER_LINK_PER_DAY
from tests.conftest import at_once, order_event
from tests.factories import ActivityRuleFactory, CustomerFactory, ReferralProgramFactory

from .conftest import REFERRAL_POINTS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup():
    ActivityRuleFactory(name="Referred a friend", activity_kind="referral_converted",
                        points=REFERRAL_POINTS)
    ReferralProgramFactory(hold_days=14)
    referrer = CustomerFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    return referrer, services.referral_code_get_or_create(customer=referrer)


def test_the_same_friend_signing_up_ten_times_at_once_gets_one_voucher(setup):
    _referrer, code = setup

    results = at_once(10, lambda i: services.referral_signup(
        code=code, email="grace@example.com", ip=f"203.0.113.{i}", user_agent="phone"))

    assert all(isinstance(r, Referral) for r in results), results
    assert Referral.objects.count() == 1
    assert Redemption.objects.count() == 1
    assert {r.voucher_code for r in results} == {Referral.objects.get().voucher_code}


def test_two_reward_runs_at_once_reward_once(setup):
    referrer, code = setup
    referral = services.referral_signup(code=code, email="grace@example.com")
    paid = (timezone.now() - dt.timedelta(days=20)).isoformat()
    order_apply(event=parse_order(order_event(
        id="77", placed_at=paid, updated_at=paid, discount_codes=[referral.voucher_code],
        customer={"id": "g", "email": "grace@example.com"})))
    # Converted with a past hold: the receiver already rewarded it; make a fresh pending one.
    assert Referral.objects.get().status == Referral.Status.REWARDED
    assert balance_get(customer=referrer)["balance"] == REFERRAL_POINTS

    second = services.referral_signup(code=code, email="linus@example.com")
    recent = timezone.now().isoformat()
    order_apply(event=parse_order(order_event(
        id="78", placed_at=recent, updated_at=recent, discount_codes=[second.voucher_code],
        customer={"id": "l", "email": "linus@example.com"})))
    later = timezone.now() + dt.timedelta(days=15)

    at_once(8, lambda i: services.referrals_reward_due(now=later))

    assert Referral.objects.get(pk=second.pk).status == Referral.Status.REWARDED
    assert balance_get(customer=referrer)["balance"] == 2 * REFERRAL_POINTS


def test_a_click_flood_from_one_ip_never_passes_the_cap(setup):
    _referrer, code = setup

    results = at_once(60, lambda i: services.referral_click_record(code=code.code,
                                                                   ip="203.0.113.9"))

    assert not any(isinstance(r, Exception) for r in results), results
    assert ReferralClick.objects.count() == 1
    assert ReferralClick.objects.get().count == CLICKS_PER_LINK_PER_DAY
    assert sum(not r.limited for r in results) == CLICKS_PER_LINK_PER_DAY


def test_first_calls_at_once_make_one_code():
    customer = CustomerFactory()

    results = at_once(8, lambda i: services.referral_code_get_or_create(customer=customer))

    assert len({r.code for r in results}) == 1
