"""Background work: birthdays, cancelled orders, the beat schedules, the cron commands and the
loyalty emails."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from customers.ingestion.generic import parse_order
from customers.services import order_apply
from loyalty import services
from loyalty.selectors import balance_get
from tests.conftest import at, order_event
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RewardFactory,
    UserFactory,
)
from tests.loyalty.conftest import audit, customer_with

pytestmark = pytest.mark.django_db


# Birthdays


def test_birthday_points_once_a_year_through_the_birthday_activity():
    ActivityRuleFactory(name="Birthday", activity_kind="birthday", points=200)
    today = CustomerFactory(birthday=dt.date(1990, 3, 14))
    other = CustomerFactory(birthday=dt.date(1990, 3, 15))

    first = services.birthday_activities_record(today=dt.date(2026, 3, 14))
    again = services.birthday_activities_record(today=dt.date(2026, 3, 14))
    next_year = services.birthday_activities_record(today=dt.date(2027, 3, 14))

    assert (first, again, next_year) == (1, 0, 1)
    assert balance_get(customer=today)["balance"] == 400
    assert balance_get(customer=other)["balance"] == 0
    assert today.activities.get(key=f"birthday:{today.pk}:2026").kind == "birthday"
    audit()


def test_a_29_february_birthday_is_celebrated_on_28_february_in_other_years():
    ActivityRuleFactory(name="Birthday", activity_kind="birthday", points=200)
    leapling = CustomerFactory(birthday=dt.date(2000, 2, 29))

    services.birthday_activities_record(today=dt.date(2027, 2, 28))

    assert balance_get(customer=leapling)["balance"] == 200


def test_the_birthday_command_uses_today():
    ActivityRuleFactory(name="Birthday", activity_kind="birthday", points=200)
    customer = CustomerFactory(birthday=dt.date(1990, 6, 1))
    out = StringIO()

    with time_machine.travel(at("2026-06-01T12:00:00Z"), tick=False):
        call_command("award_birthday_points", stdout=out)

    assert "1 birthdays recorded" in out.getvalue()
    assert balance_get(customer=customer)["balance"] == 200


# Cancelled orders


def test_a_cancelled_order_loses_its_held_points_once():
    EarningRuleFactory()
    order_apply(event=parse_order(order_event(total="80.00")))
    customer = CustomerFactory(email="ada@example.com")
    assert balance_get(customer=customer) == {"balance": 0, "pending": 80}

    cancelled = order_event(total="80.00", status="cancelled", updated_at="2026-11-02T10:00:00Z")
    order_apply(event=parse_order(cancelled))
    order_apply(event=parse_order({**cancelled, "updated_at": "2026-11-03T10:00:00Z"}))

    assert balance_get(customer=customer) == {"balance": 0, "pending": 0}
    audit()


def test_a_cancellation_after_the_release_reverses_available_points():
    EarningRuleFactory()
    paid = at("2026-01-01T10:00:00Z")
    order = OrderFactory(total=Decimal("50.00"), placed_at=paid, paid_at=paid)
    services.points_award_for_order(order=order)
    services.points_release_due(now=paid + dt.timedelta(days=15))

    order.cancelled_at = paid + dt.timedelta(days=20)
    order.save()
    first = services.points_cancel_for_order(order=order)
    again = services.points_cancel_for_order(order=order)

    assert (first.amount, again) == (-50, None)
    assert balance_get(customer=order.customer) == {"balance": 0, "pending": 0}
    audit()


# Schedules and commands


def test_every_periodic_task_has_a_beat_schedule_staff_can_edit():
    tasks = dict(PeriodicTask.objects.filter(name__startswith="loyalty:")
                 .values_list("task", "crontab__hour"))

    assert tasks == {
        "loyalty.release_points": "*", "loyalty.expire_points": "2",
        "loyalty.send_expiry_reminders": "9", "loyalty.award_birthday_points": "0",
        "loyalty.expire_vouchers": "2", "loyalty.reevaluate_tiers": "0",
    }


def test_the_release_command_releases_due_points():
    EarningRuleFactory()
    paid = at("2026-01-01T10:00:00Z")
    order = OrderFactory(total=Decimal("50.00"), placed_at=paid, paid_at=paid)
    services.points_award_for_order(order=order)
    out = StringIO()

    with time_machine.travel(paid + dt.timedelta(days=15), tick=False):
        call_command("release_points", stdout=out)

    assert "1 lots released" in out.getvalue()
    assert balance_get(customer=order.customer)["balance"] == 50


def test_the_reminder_command_runs_with_nothing_to_do():
    out = StringIO()

    call_command("send_expiry_reminders", stdout=out)

    assert "0 customers reminded" in out.getvalue()


# Emails


def test_a_paid_order_emails_the_pending_points_to_a_member(
        django_capture_on_commit_callbacks, mailoutbox):
    EarningRuleFactory()
    customer = CustomerFactory(user=UserFactory(), first_name="Ada", locale="en")
    paid = at("2026-11-01T10:00:00Z")
    order = OrderFactory(customer=customer, name="#1001", total=Decimal("59.90"),
                         placed_at=paid, paid_at=paid)

    with django_capture_on_commit_callbacks(execute=True):
        services.points_award_for_order(order=order)

    [message] = mailoutbox
    assert message.to == [customer.email]
    assert message.subject.startswith("You earned 59 points at ")
    assert "#1001" in message.body and "pending" in message.body
    assert "59" in message.alternatives[0][0]


def test_a_guest_without_consent_gets_no_points_email(
        django_capture_on_commit_callbacks, mailoutbox):
    EarningRuleFactory()
    customer = CustomerFactory(user=None, accepts_marketing=False)
    paid = at("2026-11-01T10:00:00Z")
    order = OrderFactory(customer=customer, total=Decimal("10.00"), placed_at=paid,
                         paid_at=paid)

    with django_capture_on_commit_callbacks(execute=True):
        services.points_award_for_order(order=order)

    assert balance_get(customer=customer)["pending"] == 10
    assert mailoutbox == []


def test_a_redemption_emails_the_voucher_code(django_capture_on_commit_callbacks, mailoutbox):
    customer = customer_with(300, accepts_marketing=True)
    reward = RewardFactory(name="€5 off", cost=100)

    with django_capture_on_commit_callbacks(execute=True):
        redemption = services.redemption_create(customer=customer, reward=reward)

    [message] = mailoutbox
    assert "€5 off" in message.subject
    assert redemption.code in message.body and redemption.code in message.alternatives[0][0]


def test_an_erased_customer_gets_no_email():
    customer = CustomerFactory(user=UserFactory())
    customer.erased_at = at("2026-01-01T00:00:00Z")

    assert services.email_recipient(customer=customer) is None
