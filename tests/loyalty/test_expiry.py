"""Expiry: which points expire when, what customers are warned about, and the expiry run."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from loyalty import services
from loyalty.models import LoyaltyProgram, PointsEntry, PointsLot, Redemption
from loyalty.selectors import balance_get, points_expiring_soon
from tests.factories import CustomerFactory, RewardFactory, UserFactory
from tests.loyalty.conftest import audit, customer_with

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


def test_outside_a_batch_a_changed_expiry_counts_from_the_next_points():
    customer = CustomerFactory()
    program(LoyaltyProgram.Expiry.NEVER)
    earn(customer, 100, "before")
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12)
    earn(customer, 100, "after")

    lots = dict(PointsLot.objects.values_list("entry__key", "expires_at"))
    assert lots["before"] is None
    assert lots["after"] is not None


# The expiry run


def test_a_lot_expires_n_months_after_it_was_earned_with_an_entry_and_an_activity():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")
    with frozen(dt.datetime(2025, 3, 1, tzinfo=UTC)):
        earn(customer, 40, "b")

    assert services.points_expire_due(now=dt.datetime(2026, 1, 9, tzinfo=UTC)) == 0
    assert services.points_expire_due(now=dt.datetime(2026, 1, 10, tzinfo=UTC)) == 100

    assert balance_get(customer=customer)["balance"] == 40
    entry = PointsEntry.objects.get(kind="expire")
    account = customer.loyalty_account
    assert (entry.amount, entry.key) == (
        -100, f"expire:{account.pk}:{PointsLot.objects.first().pk}")
    activity = customer.activities.get(kind="points_expired")
    assert activity.data == {"points": 100}
    audit()


def test_expiring_twice_expires_nothing_more():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=1)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")
    later = dt.datetime(2025, 3, 1, tzinfo=UTC)

    first = services.points_expire_due(now=later)
    again = services.points_expire_due(now=later)

    assert (first, again) == (100, 0)
    assert PointsEntry.objects.filter(kind="expire").count() == 1
    assert customer.activities.filter(kind="points_expired").count() == 1


def test_spent_points_come_out_of_the_oldest_lot_first():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "old")
    with frozen(dt.datetime(2025, 6, 1, tzinfo=UTC)):
        earn(customer, 50, "new")
        spend(customer, 80)

    expired = services.points_expire_due(now=dt.datetime(2026, 2, 1, tzinfo=UTC))

    assert expired == 20  # the old lot had 100, 80 of them were spent
    assert balance_get(customer=customer)["balance"] == 50
    audit()


def test_a_customer_who_spent_everything_loses_nothing_and_never_goes_negative():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=1)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")
        spend(customer, 100)

    assert services.points_expire_due(now=dt.datetime(2025, 6, 1, tzinfo=UTC)) == 0
    assert balance_get(customer=customer)["balance"] == 0
    assert not customer.activities.filter(kind="points_expired").exists()
    audit()


def test_held_points_do_not_expire_until_released():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=1)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        services.points_award(customer=customer, points=30, key="held", kind="earn",
                              held_until=dt.datetime(2025, 3, 1, tzinfo=UTC))

    assert services.points_expire_due(now=dt.datetime(2025, 2, 20, tzinfo=UTC)) == 0
    assert balance_get(customer=customer) == {"balance": 0, "pending": 30}
    audit()


def test_inactivity_expires_every_lot_and_activity_postpones_it():
    program(LoyaltyProgram.Expiry.INACTIVITY, months=6)
    active, idle = CustomerFactory(), CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(active, 100, "a1")
        earn(idle, 100, "i1")
    with frozen(dt.datetime(2025, 3, 1, tzinfo=UTC)):
        earn(idle, 20, "i2")
    with frozen(dt.datetime(2025, 8, 1, tzinfo=UTC)):
        spend(active, 10)

    expired = services.points_expire_due(now=dt.datetime(2025, 9, 2, tzinfo=UTC))

    assert expired == 120
    assert balance_get(customer=idle)["balance"] == 0
    assert balance_get(customer=active)["balance"] == 90
    audit()


def test_points_never_expire_when_the_program_says_so():
    program(LoyaltyProgram.Expiry.NEVER)
    customer = CustomerFactory()
    with frozen(dt.datetime(2020, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")

    assert services.points_expire_due(now=dt.datetime(2026, 1, 1, tzinfo=UTC)) == 0
    assert balance_get(customer=customer)["balance"] == 100


def test_expiry_in_small_batches_covers_every_account():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=1)
    customers = [CustomerFactory() for _ in range(7)]
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        for n, customer in enumerate(customers):
            earn(customer, 10 + n, f"a{n}")
            earn(customer, 5, f"b{n}")

    expired = services.points_expire_due(now=dt.datetime(2025, 3, 1, tzinfo=UTC), batch_size=3)

    assert expired == sum(15 + n for n in range(7))
    # One entry per account for both its lots, whatever the batches.
    assert sorted(PointsEntry.objects.filter(kind="expire").values_list("amount", flat=True)) \
        == sorted(-(15 + n) for n in range(7))
    assert all(balance_get(customer=c)["balance"] == 0 for c in customers)
    audit()


def test_the_expire_points_command_runs_the_expiry():
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=1)
    customer = CustomerFactory()
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 10, "a")
    out = StringIO()

    with frozen(dt.datetime(2025, 3, 1, tzinfo=UTC)):
        call_command("expire_points", stdout=out)

    assert "10 points expired" in out.getvalue()
    assert balance_get(customer=customer)["balance"] == 0


# Reminders


def reminded(customer):
    return list(customer.activities.filter(kind="points_expiring").order_by("pk")
                .values_list("data", flat=True))


def test_a_reminder_goes_out_once_per_expiry_date_with_an_activity_and_an_email(
        django_capture_on_commit_callbacks, mailoutbox):
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12, reminder_days=14)
    customer = CustomerFactory(user=UserFactory(), first_name="Ada")
    with frozen(dt.datetime(2025, 1, 10, 9, tzinfo=UTC)):
        earn(customer, 100, "a")
    with frozen(dt.datetime(2025, 1, 20, 9, tzinfo=UTC)):
        earn(customer, 40, "b")

    with django_capture_on_commit_callbacks(execute=True):
        first = services.points_expiry_remind(now=dt.datetime(2026, 1, 1, tzinfo=UTC))
        again = services.points_expiry_remind(now=dt.datetime(2026, 1, 2, tzinfo=UTC))
        later = services.points_expiry_remind(now=dt.datetime(2026, 1, 8, tzinfo=UTC))

    assert (first, again, later) == (1, 0, 1)
    assert reminded(customer) == [
        {"points": 100, "expires_at": "2026-01-10T09:00:00+00:00"},
        {"points": 40, "expires_at": "2026-01-20T09:00:00+00:00"},
    ]
    assert len(mailoutbox) == 2
    assert "100 points" in mailoutbox[0].subject
    assert "100 points" in mailoutbox[0].body and "Ada" in mailoutbox[0].body
    assert "40 points" in mailoutbox[1].alternatives[0][0]


def test_no_email_without_an_account_or_consent_but_the_activity_is_recorded(
        django_capture_on_commit_callbacks, mailoutbox):
    program(LoyaltyProgram.Expiry.AFTER_EARNING, months=12, reminder_days=14)
    customer = CustomerFactory(user=None, accepts_marketing=False)
    with frozen(dt.datetime(2025, 1, 10, tzinfo=UTC)):
        earn(customer, 100, "a")

    with django_capture_on_commit_callbacks(execute=True):
        services.points_expiry_remind(now=dt.datetime(2026, 1, 1, tzinfo=UTC))

    assert len(reminded(customer)) == 1
    assert mailoutbox == []


# Vouchers


def test_issued_vouchers_past_their_date_are_marked_expired_and_used_ones_stay_used():
    customer = customer_with(500)
    with frozen(dt.datetime(2025, 1, 1, tzinfo=UTC)):
        old = services.redemption_create(customer=customer, reward=RewardFactory(cost=100))
        used = services.redemption_create(customer=customer, reward=RewardFactory(cost=100))
        services.voucher_use(code=used.code)
    fresh = services.redemption_create(customer=customer, reward=RewardFactory(cost=100))

    out = StringIO()
    with frozen(dt.datetime(2026, 1, 1, tzinfo=UTC)):
        call_command("expire_vouchers", stdout=out)

    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "expired", used.pk: "used", fresh.pk: "issued"}
    assert "1 vouchers" in out.getvalue()
