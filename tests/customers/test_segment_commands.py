"""The segments commands: recompute on demand, a fake shop for benchmarks, the demo."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from customers.models import (
    Activity,
    Customer,
    CustomerScore,
    Order,
    RfmSegment,
    Stage,
    ValueModelFit,
)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_fake_shop_then_recompute_on_demand():
    run("generate_fake_shop", "--customers", "300", "--orders", "1200", "--seed", "3")
    assert Customer.objects.count() == 300
    assert Order.objects.count() == 1200
    buyer = Customer.objects.filter(orders_count__gt=1).first()
    assert buyer.last_order_at >= buyer.first_order_at
    with pytest.raises(CommandError):
        run("generate_fake_shop", "--customers", "1", "--orders", "1")

    out = run("recompute_segments", "--as-of", "2030-01-01T00:00:00Z")

    assert "Scored 300 customers" in out
    assert CustomerScore.objects.count() == 300
    assert set(CustomerScore.objects.values_list("stage", flat=True)) >= {
        Stage.PROSPECT, Stage.LAPSED}
    assert set(CustomerScore.objects.values_list("r_score", flat=True)) == {None, 1, 2, 3, 4, 5}
    fit = ValueModelFit.objects.get()  # 240 buyers over three years: enough for the model
    assert fit.status == ValueModelFit.Status.FITTED
    assert CustomerScore.objects.filter(orders__gte=2, p_alive__isnull=True).count() == 0


@pytest.mark.django_db
def test_recompute_refuses_a_time_without_a_zone():
    with pytest.raises(CommandError):
        run("recompute_segments", "--as-of", "2030-01-01")


@pytest.mark.django_db
def test_the_demo_shows_every_stage_and_segment_and_a_second_run_changes_nothing():
    run("seed_demo")  # the demo shop, which ends with seed_demo_segments
    assert set(CustomerScore.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(CustomerScore.objects.values_list("rfm_segment", flat=True)) >= set(
        RfmSegment.values)
    counts = (Customer.objects.count(), Order.objects.count(), Activity.objects.count())

    run("seed_demo")

    assert (Customer.objects.count(), Order.objects.count(), Activity.objects.count()) == counts


@pytest.mark.django_db
def test_the_nightly_schedule_is_editable_in_admin():
    task = PeriodicTask.objects.get(name="Recompute segments nightly")
    assert task.task == "customers.tasks.segments_recompute_task"
    assert (task.crontab.hour, task.crontab.minute) == ("3", "15")
