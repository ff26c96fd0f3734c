"""Expiry: which points expire when, what customers are warned about, and the expiry run."""

import datetime as dt

import pytest
import time_machine

from loyalty import services
from loyalty.models import LoyaltyProgram
from loyalty.selectors import points_expiring_soon
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def frozen(when):
    return time_machine.travel(when, tick=False)


def program(expiry, months=12, reminder_days=14):
    LoyaltyProgram.objects.update_or_create(pk=1, defaults={
        "expiry": expiry, "expiry_months": months, "expiry_reminder_days": reminder_days})


def earn(customer, points, key):
    return services.points_award(customer=customer, points=points, key=key)


def spend(customer, points, key="spend"):
    account = services.loyalty_account_get_or_create(customer=customer)
    return services.points_spend(account=account, amount=points, key=key)


def test_nothing_expires_soon_when_points_never_expire():
    program(LoyaltyProgram.Expiry.NEVER)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")

    assert points_expiring_soon(customer=customer,
                                now=dt.datetime(2026, 1, 5, tzinfo=UTC)) == []


def test_lots_expiring_within_the_reminder_window_are_listed_oldest_first():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12, reminder_days=14)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, 9, tzinfo=UTC)):
        earn(customer, 100, "a")
    with frozen(dt.datetime(2025, 1, 20, 9, tzinfo=UTC)):
        earn(customer, 40, "b")
    with frozen(dt.datetime(2025, 6, 1, 9, tzinfo=UTC)):
        earn(customer, 70, "c")

    soon = points_expiring_soon(customer=customer, now=dt.datetime(2026, 1, 8, tzinfo=UTC))

    assert soon == [
        {"points": 100, "expires_at": dt.datetime(2026, 1, 10, 9, tzinfo=UTC)},
        {"points": 40, "expires_at": dt.datetime(2026, 1, 20, 9, tzinfo=UTC)},
    ]
    assert points_expiring_soon(customer=customer,
                                now=dt.datetime(2025, 12, 20, tzinfo=UTC)) == []


def test_points_already_spent_do_not_show_as_expiring():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12, reminder_days=30)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")
        earn(customer, 50, "b")
        spend(customer, 120)

    soon = points_expiring_soon(customer=customer, now=dt.datetime(2026, 1, 1, tzinfo=UTC))

    assert sum(row["points"] for row in soon) == 30


def test_inactivity_expiry_warns_about_every_lot_at_one_date():
    program(LoyaltyProgram.Expiry.INACTIVITY, months=6, reminder_days=14)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")
    with frozen(dt.datetime(2025, 3, 1, tzinfo=UTC)):
        earn(customer, 20, "b")

    soon = points_expiring_soon(customer=customer, now=dt.datetime(2025, 8, 25, tzinfo=UTC))

    assert soon == [{"points": 120, "expires_at": dt.datetime(2025, 9, 1, tzinfo=UTC)}]
