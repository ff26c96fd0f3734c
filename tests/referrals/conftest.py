"""Referral test helpers: a program with a welcome voucher and 500 points per conversion, a
referrer with a code, and paid or refunded orders sent through the real order API."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from referrals import services
from referrals.models import Referral
from tests.conftest import order_event, post_event
from tests.factories import ActivityRuleFactory, CustomerFactory, ReferralProgramFactory

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
REFERRAL_POINTS = 500
FRIEND_IP = "203.0.113.7"
BROWSER = "Mozilla/5.0 (iPhone) Friend"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def program(db):
    ActivityRuleFactory(name="Referred a friend", activity_kind="referral_converted",
                        points=REFERRAL_POINTS)
    return ReferralProgramFactory(hold_days=14)


@pytest.fixture
def referrer(db):
    return CustomerFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def code(referrer):
    return services.referral_code_get_or_create(customer=referrer)


class Shop:
    """The storefront and the shop's system, as a referral sees them. Each call commits, so
    work scheduled after commit (emails, order processing) runs."""

    def __init__(self, api, capture):
        self.api, self.capture = api, capture

    def sign_up(self, code, email="grace@example.com", *, name="", ip=FRIEND_IP,
                user_agent=BROWSER, now=None) -> Referral:
        mail.outbox.clear()
        with self.capture(execute=True):
            return services.referral_signup(code=code, email=email, name=name, ip=ip,
                                            user_agent=user_agent, now=now)

    def pay(self, email, *, order_id="5001", total="80.00", discount_codes=(),
            referral_code="", when=None, refunded="0.00"):
        """A paid order for `email` through the order API (signals and all)."""
        stamp = (when or START).isoformat().replace("+00:00", "Z")
        with self.capture(execute=True):
            response = post_event(self.api, order_event(
                id=order_id, name=f"#{order_id}", placed_at=stamp, updated_at=stamp,
                total=total, refunded_total=refunded, discount_codes=list(discount_codes),
                referral_code=referral_code,
                customer={"id": f"c-{email}", "email": email, "first_name": "",
                          "last_name": ""},
                lines=[{"sku": "SERUM", "name": "Serum", "quantity": 1, "price": total}],
            ))
        assert response.status_code in (200, 202), response.content
        return response

    def refund(self, email, *, order_id="5001", total="80.00", refunded="80.00", when=None):
        return self.pay(email, order_id=order_id, total=total, refunded=refunded, when=when)


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def reload(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)
