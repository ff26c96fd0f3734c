"""The demo data and the periodic command."""

import io

import pytest
from django.core.management import call_command

from customers.models import Activity, Order
from referrals.models import Referral, ReferralCheck

pytestmark = pytest.mark.django_db


def test_the_demo_has_referrals_in_every_state_and_running_it_twice_adds_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    states = set(Referral.objects.values_list("status", flat=True))
    counts = (Referral.objects.count(), ReferralCheck.objects.count(), Order.objects.count(),
              Activity.objects.count())

    call_command("seed_demo_referrals", stdout=io.StringIO())

    assert states == set(Referral.Status.values)
    assert Referral.objects.filter(status="flagged").count() >= 2
    assert (Referral.objects.count(), ReferralCheck.objects.count(), Order.objects.count(),
            Activity.objects.count()) == counts


def test_the_reward_job_is_scheduled_hourly_and_editable_in_admin():
    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    task = PeriodicTask.objects.get(name="referrals: reward referrals past their hold")
    assert task.enabled
    assert task.crontab.minute == "15" and task.crontab.hour == "*"
    app.loader.import_default_modules()
    assert task.task in app.tasks
