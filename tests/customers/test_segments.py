"""Stages, RFM scores and CLV: a small shop computed by hand, reruns, time passing."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from customers import services
from customers.models import Activity, Customer, CustomerScore, SegmentSettings, Stage
from customers.signals import customers_stage_changed
from tests.conftest import at
from tests.factories import CustomerFactory, OrderFactory
from tests.segments_reference import assert_matches_reference, reference_shop

AS_OF = at("2026-06-30T12:00:00Z")


def buy(customer, days_ago: float, total="50.00", **extra):
    placed = AS_OF - dt.timedelta(days=days_ago)
    order = OrderFactory(customer=customer, placed_at=placed, total=Decimal(total), **extra)
    services.customer_stats_refresh(customer=customer)
    return order


def score(customer) -> CustomerScore:
    return CustomerScore.objects.get(customer=customer)


@pytest.fixture
def shop(db):
    """Five buyers, one per quintile on every axis, and a prospect.

    | who   | orders (days ago)     | net    | R | F | M |
    | ana   | 2                     |  20    | 5 | 1 | 1 |
    | ben   | 300, 200, 100, 10     | 400    | 4 | 4 | 4 |
    | cleo  | 800, 700              | 100    | 1 | 2 | 2 |
    | dan   | 500, 450, 420, 390, 360, 330 | 900 | 2 | 5 | 5 |
    | eve   | 60, 40, 30            | 150    | 3 | 3 | 3 |
    """
    people = {name: CustomerFactory(email=f"{name}@example.com")
              for name in ("ana", "ben", "cleo", "dan", "eve", "pat")}
    buy(people["ana"], 2, "20.00")
    for days in (300, 200, 100, 10):
        buy(people["ben"], days, "100.00")
    for days in (800, 700):
        buy(people["cleo"], days, "50.00")
    for days in (500, 450, 420, 390, 360, 330):
        buy(people["dan"], days, "150.00")
    for days in (60, 40, 30):
        buy(people["eve"], days, "50.00")
    return people


def test_scores_and_segments_match_the_hand_computed_example(shop):
    result = services.segments_recompute(as_of=AS_OF)

    assert result.customers == 6
    got = {name: (s.r_score, s.f_score, s.m_score, s.rfm_segment, s.stage)
           for name, s in ((n, score(c)) for n, c in shop.items())}
    assert got == {
        "ana": (5, 1, 1, "new", Stage.FIRST_TIME),
        "ben": (4, 4, 4, "loyal", Stage.REPEAT),
        "cleo": (1, 2, 2, "lost", Stage.LAPSED),
        "dan": (2, 5, 5, "cant_lose", Stage.AT_RISK),
        "eve": (3, 3, 3, "need_attention", Stage.REPEAT),
        "pat": (None, None, None, "", Stage.PROSPECT),
    }


def test_gaps_recency_and_clv_are_shown_with_their_inputs(shop):
    services.segments_recompute(as_of=AS_OF)

    ben = score(shop["ben"])
    assert ben.orders == 4 and ben.net_revenue == Decimal("400.00")
    assert ben.recency_days == 10
    assert ben.median_gap_days == 100.0  # gaps 100, 100, 90
    assert ben.expected_gap_days == 200.0
    assert ben.average_order_value == Decimal("100.00")
    assert ben.orders_per_year == pytest.approx(4.0)  # tenure 300 days counts as a year
    assert ben.clv_predicted == Decimal("1200.00")  # 100 x 4 per year x 3 years
    dan = score(shop["dan"])
    assert dan.median_gap_days == 30.0 and dan.expected_gap_days == 60.0
    assert dan.orders_per_year == pytest.approx(6 * 365 / 500)
    assert dan.clv_predicted == Decimal("1971.00")  # 900 x 365 x 3 / 500


def test_a_rerun_on_the_same_data_agrees_and_records_nothing_new(shop):
    services.segments_recompute(as_of=AS_OF)
    first = list(CustomerScore.objects.order_by("pk").values())
    timeline = Activity.objects.filter(kind=Activity.Kind.STAGE_CHANGED).count()

    result = services.segments_recompute(as_of=AS_OF)

    assert list(CustomerScore.objects.order_by("pk").values()) == first
    assert Activity.objects.filter(kind=Activity.Kind.STAGE_CHANGED).count() == timeline == 6
    assert result.stage_changes == 0


def test_equal_values_get_equal_scores_and_a_score_says_where_the_value_stands(db):
    """Six one-order customers (60 % of buyers) spending different amounts, three with two
    orders and one with ten, all ordering 5 days ago."""
    once = [CustomerFactory() for _ in range(6)]
    twice = [CustomerFactory() for _ in range(3)]
    often = CustomerFactory()
    for n, customer in enumerate(once):
        buy(customer, 5, f"{10 + n}.00")
    for customer in twice:
        buy(customer, 50, "10.00")
        buy(customer, 5, "10.00")
    for k in range(10):
        buy(often, 5 + k, "10.00")

    services.segments_recompute(as_of=AS_OF)

    # F: nobody has fewer orders than a one-order customer (1); 6 of 9 others have fewer
    # than a two-order customer: 1 + 5 * 6 // 9 = 4; the most orders are 5.
    assert {score(c).f_score for c in once} == {1}
    assert {score(c).f_score for c in twice} == {4}
    assert score(often).f_score == 5
    # R: everybody ordered 5 days ago, so everybody is equally recent.
    assert {score(c).r_score for c in [*once, *twice, often]} == {1}
    # M by value, ties together: 10.00 (once[0]) is the least, 20.00 (twice) is shared.
    assert [score(c).m_score for c in once] == [1, 1, 2, 2, 3, 3]
    assert {score(c).m_score for c in twice} == {4}
    assert score(often).m_score == 5


def stages(customer) -> list[tuple[str, str]]:
    return [(a.data["from"], a.data["to"]) for a in
            Activity.objects.filter(customer=customer, kind=Activity.Kind.STAGE_CHANGED)
            .order_by("occurred_at", "id")]


def test_stages_change_as_time_passes_and_each_change_is_on_the_timeline(db):
    customer = CustomerFactory(accepts_marketing=True)
    with time_machine.travel(AS_OF, tick=False) as traveller:
        buy(customer, 0)
        services.segments_recompute()
        assert score(customer).stage == Stage.FIRST_TIME
        traveller.shift(dt.timedelta(days=120))
        services.segments_recompute()
        assert score(customer).stage == Stage.FIRST_TIME  # exactly 120 days is not "longer"
        traveller.shift(dt.timedelta(days=1))
        services.segments_recompute()
        assert score(customer).stage == Stage.AT_RISK
        traveller.shift(dt.timedelta(days=245))
        services.segments_recompute()
        assert score(customer).stage == Stage.LAPSED

        services.order_apply(event=_event(customer, "comeback-1"))  # counted at once
        assert score(customer).stage == Stage.WON_BACK
        traveller.shift(dt.timedelta(days=3))
        services.segments_recompute()
        assert score(customer).stage == Stage.WON_BACK  # until their next order
        services.order_apply(event=_event(customer, "comeback-2"))
        assert score(customer).stage == Stage.REPEAT

    assert stages(customer) == [
        ("", "first_time"), ("first_time", "at_risk"), ("at_risk", "lapsed"),
        ("lapsed", "won_back"), ("won_back", "repeat"),
    ]


def _event(customer, external_id):
    from django.utils import timezone

    from customers.ingestion.events import CustomerData, OrderEvent

    now = timezone.now()
    return OrderEvent(source="generic", external_id=external_id, status="paid", placed_at=now,
                      updated_at=now, currency="EUR", total=Decimal("40.00"),
                      customer=CustomerData(email=customer.email))


def test_a_frequent_buyer_is_at_risk_after_twice_their_own_median_gap(db):
    weekly = CustomerFactory()
    for days in (100, 70, 40):  # every 30 days: at risk after 60
        buy(weekly, days)

    services.segments_recompute(as_of=AS_OF - dt.timedelta(days=40 - 59))
    assert score(weekly).stage == Stage.REPEAT
    services.segments_recompute(as_of=AS_OF - dt.timedelta(days=40 - 61))
    assert score(weekly).stage == Stage.AT_RISK
    assert score(weekly).expected_gap_days == 60.0


def test_a_vip_tier_or_enough_orders_make_a_customer_loyal(db):
    settings = SegmentSettings.get()
    settings.vip_tiers = "Gold, Platinum"
    settings.save()
    gold, frequent, silver = (CustomerFactory(loyalty_tier=t) for t in ("Gold", "", "Silver"))
    buy(gold, 5)
    buy(silver, 10)
    buy(silver, 5)
    for days in (50, 40, 30, 20, 10):
        buy(frequent, days)

    services.segments_recompute(as_of=AS_OF)

    assert [score(c).stage for c in (gold, frequent, silver)] == [
        Stage.LOYAL, Stage.LOYAL, Stage.REPEAT]


def test_refunds_and_cancellations_count_as_they_should(db):
    customer = CustomerFactory()
    buy(customer, 30, "100.00", refunded_total=Decimal("40.00"), status="partially_refunded")
    buy(customer, 20, "80.00", status="cancelled", cancelled_at=AS_OF)
    buy(customer, 10, "30.00", paid_at=None, status="pending")

    services.segments_recompute(as_of=AS_OF)

    assert score(customer).orders == 1
    assert score(customer).net_revenue == Decimal("60.00")
    assert score(customer).stage == Stage.FIRST_TIME


def test_changes_are_announced_but_a_first_classification_is_only_recorded(db):
    heard = []

    def listen(sender, *, changes, **kwargs):
        heard.extend((change.customer.email, change.from_stage, change.to_stage)
                     for change in changes)

    customers_stage_changed.connect(listen)
    try:
        customer = CustomerFactory(email="once@example.com")
        buy(customer, 100)
        services.segments_recompute(as_of=AS_OF)
        assert heard == []
        services.segments_recompute(as_of=AS_OF + dt.timedelta(days=30))
        assert heard == [("once@example.com", "first_time", "at_risk")]
    finally:
        customers_stage_changed.disconnect(listen)
    assert stages(customer) == [("", "first_time"), ("first_time", "at_risk")]


@pytest.mark.parametrize("batch", [False, True], ids=["one by one", "in one batch"])
def test_customers_refreshed_as_their_orders_arrive_agree_with_the_recompute(db, batch):
    people = reference_shop(AS_OF)
    services.segments_recompute(as_of=AS_OF)
    fields = ("stage", "orders", "net_revenue", "recency_days", "median_gap_days",
              "expected_gap_days", "average_order_value", "orders_per_year", "clv_predicted")
    def facts(customer):  # floats are shown, not summed: equal to 9 places is equal
        values = [getattr(score(customer), f) for f in fields]
        return [round(v, 9) if isinstance(v, float) else v for v in values]

    recomputed = {c.pk: facts(c) for c in people}

    CustomerScore.objects.all().delete()
    fresh = list(Customer.objects.filter(pk__in=[c.pk for c in people]))
    if batch:
        services.customers_stage_refresh(customers=fresh, now=AS_OF)
    else:
        for customer in fresh:
            services.customer_stage_refresh(customer=customer, now=AS_OF)

    refreshed = {c.pk: facts(c) for c in people}
    assert refreshed == recomputed


def test_the_sqlite_path_gives_the_reference_results(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    assert_matches_reference(reference_shop(AS_OF), AS_OF)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_postgres_path_gives_the_same_reference_results():
    assert_matches_reference(reference_shop(AS_OF), AS_OF)


def test_a_fully_refunded_customer_is_worth_nothing_on_either_path(db):
    customer = CustomerFactory()
    buy(customer, 10, "30.00", refunded_total=Decimal("30.00"), status="refunded")
    services.customer_stage_refresh(customer=customer, now=AS_OF)
    assert score(customer).clv_predicted == Decimal("0.00")
    services.segments_recompute(as_of=AS_OF)
    assert score(customer).clv_predicted == Decimal("0.00")
    assert score(customer).stage == Stage.FIRST_TIME
