"""Stages refreshed for a batch of customers whose orders arrived: the same outcome as one by
one, in a number of statements that does not grow with the batch."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from factory.django import mute_signals

from customers import services
from customers.models import Activity, CustomerScore, SegmentSettings, Stage
from customers.signals import activities_recorded, customers_stage_changed
from kernel.memo import memo_scope
from tests.conftest import at
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db
AS_OF = at("2026-06-30T12:00:00Z")
EARLIER = AS_OF - dt.timedelta(days=30)  # when the nightly recompute last ran


def buy(customer, days_ago: float, total="50.00", **extra):
    return OrderFactory(customer=customer, placed_at=AS_OF - dt.timedelta(days=days_ago),
                        total=Decimal(total), **extra)


@pytest.fixture
def shop():
    """Customers in every situation an arriving order can find them in.

    | who       | orders (days ago)                          | at EARLIER  | at AS_OF    |
    | repeat    | 100, 5                                     | first_time  | repeat      |
    | refunds   | 60 (40 of 100 refunded), 10 cancelled, 5 unpaid | first_time | first_time |
    | drifting  | 140                                        | first_time  | at_risk     |
    | returning | 200, 3                                     | at_risk     | won_back    |
    | gold      | 40, in the VIP tier since EARLIER          | first_time  | loyal       |
    | newcomer  | 2                                          | (no score)  | first_time  |
    | browser   | none                                       | (no score)  | prospect    |
    """
    settings = SegmentSettings.get()
    settings.vip_tiers = "Gold"
    settings.save()
    people = {name: CustomerFactory(email=f"{name}@example.com")
              for name in ("repeat", "refunds", "drifting", "returning", "gold")}
    buy(people["repeat"], 100)
    buy(people["repeat"], 5)
    buy(people["refunds"], 60, "100.00", refunded_total=Decimal("40.00"),
        status="partially_refunded")
    buy(people["refunds"], 10, "80.00", status="cancelled", cancelled_at=AS_OF)
    buy(people["refunds"], 5, "30.00", paid_at=None, status="pending")
    buy(people["drifting"], 140)
    buy(people["returning"], 200)
    buy(people["returning"], 3)
    buy(people["gold"], 40)
    services.segments_recompute(as_of=EARLIER)
    people["gold"].loyalty_tier = "Gold"
    people["gold"].save()
    people["newcomer"] = CustomerFactory(email="newcomer@example.com")
    buy(people["newcomer"], 2)
    people["browser"] = CustomerFactory(email="browser@example.com")
    return people


def outcome(refresh) -> tuple:
    """What a refresh leaves behind (scores, timeline, signals heard), then rolled back so
    the next way of refreshing starts from the same shop."""
    heard = []

    def stage_changed(sender, *, changes, at, **kwargs):
        heard.extend(("stage", change.customer.email, change.from_stage, change.to_stage, at)
                     for change in changes)

    def recorded(sender, *, activities, **kwargs):
        heard.extend(("activity", activity.customer.email, activity.key)
                     for activity in activities)

    customers_stage_changed.connect(stage_changed)
    activities_recorded.connect(recorded)
    try:
        with transaction.atomic():
            refresh()
            scores = list(CustomerScore.objects.order_by("customer__email").values())
            timeline = list(Activity.objects.filter(kind=Activity.Kind.STAGE_CHANGED)
                            .order_by("key").values("customer__email", "occurred_at", "key",
                                                    "data"))
            transaction.set_rollback(True)
    finally:
        customers_stage_changed.disconnect(stage_changed)
        activities_recorded.disconnect(recorded)
    return scores, timeline, sorted(heard)


def test_a_batch_gives_what_refreshing_one_by_one_gives(shop):
    people = list(shop.values())

    together = outcome(lambda: services.customers_stage_refresh(customers=people, now=AS_OF))
    alone = outcome(lambda: [services.customer_stage_refresh(customer=c, now=AS_OF)
                             for c in people])

    assert together == alone
    scores, _timeline, heard = together
    names = {customer.pk: name for name, customer in shop.items()}
    assert {names[s["customer_id"]]: s["stage"] for s in scores} == {
        "repeat": Stage.REPEAT, "refunds": Stage.FIRST_TIME, "drifting": Stage.AT_RISK,
        "returning": Stage.WON_BACK, "gold": Stage.LOYAL, "newcomer": Stage.FIRST_TIME,
        "browser": Stage.PROSPECT,
    }
    [refunds] = [s for s in scores if s["customer_id"] == shop["refunds"].pk]
    assert (refunds["orders"], refunds["net_revenue"]) == (1, Decimal("60.00"))
    assert [h[1:4] for h in heard if h[0] == "stage"] == [
        ("browser@example.com", "", Stage.PROSPECT),
        ("drifting@example.com", Stage.FIRST_TIME, Stage.AT_RISK),
        ("gold@example.com", Stage.FIRST_TIME, Stage.LOYAL),
        ("newcomer@example.com", "", Stage.FIRST_TIME),
        ("repeat@example.com", Stage.FIRST_TIME, Stage.REPEAT),
        ("returning@example.com", Stage.AT_RISK, Stage.WON_BACK),
    ]
    # Each change is on the timeline and told to its listeners once; the refunds one is not
    # a change.
    assert [h[1] for h in heard if h[0] == "activity"] == [h[1] for h in heard
                                                           if h[0] == "stage"]


def crowd_of(size: int) -> list:
    """Customers in a mix of situations: a third new, a third unchanged, a third drifting."""
    people = [CustomerFactory() for _ in range(size)]
    for i, customer in enumerate(people):
        buy(customer, (5, 60, 140)[i % 3])
    return people


@pytest.mark.usefixtures("inserted_not_copied")
def test_the_statements_do_not_grow_with_the_batch(db):
    lone, crowd = crowd_of(1), crowd_of(25)
    services.segments_recompute(as_of=EARLIER)  # the lone one has no score: it must be added
    CustomerScore.objects.filter(customer__in=[lone[0], *crowd[::3]]).delete()

    # The listeners' own statements (points, webhooks, win-back) are theirs, not the refresh's.
    with mute_signals(activities_recorded, customers_stage_changed):
        with CaptureQueriesContext(connection) as one:
            services.customers_stage_refresh(customers=lone, now=AS_OF)
        with CaptureQueriesContext(connection) as many:
            scores = services.customers_stage_refresh(customers=crowd, now=AS_OF)

    assert len(many.captured_queries) == len(one.captured_queries)
    assert {pk: s.stage for pk, s in scores.items()} == {
        c.pk: (Stage.FIRST_TIME, Stage.FIRST_TIME, Stage.AT_RISK)[i % 3]
        for i, c in enumerate(crowd)}
    assert Activity.objects.filter(kind=Activity.Kind.STAGE_CHANGED,
                                   occurred_at=AS_OF).count() == 1 + 17  # 9 new, 8 drifting


def test_settings_are_read_once_per_batch_of_deliveries(db):
    first, second = crowd_of(2)
    SegmentSettings.get()

    with memo_scope(), CaptureQueriesContext(connection) as batch:
        services.customer_stage_refresh(customer=first, now=AS_OF)
        services.customer_stage_refresh(customer=second, now=AS_OF)

    reads = [q for q in batch.captured_queries if "customers_segmentsettings" in q["sql"]]
    assert len(reads) == 1


def test_an_empty_batch_does_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert services.customers_stage_refresh(customers=[]) == {}


def test_the_timeline_listeners_do_not_read_the_customer_again(db):
    [customer] = crowd_of(1)

    with CaptureQueriesContext(connection) as refresh:
        services.customer_stage_refresh(customer=customer, now=AS_OF)

    reads = [q["sql"] for q in refresh.captured_queries
             if q["sql"].startswith("SELECT") and 'FROM "customers_customer"' in q["sql"]]
    assert len(reads) == 1  # the lock; the webhooks' listener is handed the same customer


def test_a_batch_s_changes_of_stage_are_announced_at_once(shop):
    sends = []

    def stage_changed(sender, *, changes, at, **kwargs):
        sends.append(sorted(change.customer.email for change in changes))

    customers_stage_changed.connect(stage_changed)
    try:
        services.customers_stage_refresh(customers=list(shop.values()), now=AS_OF)
    finally:
        customers_stage_changed.disconnect(stage_changed)
    assert sends == [["browser@example.com", "drifting@example.com", "gold@example.com",
                      "newcomer@example.com", "repeat@example.com", "returning@example.com"]]
