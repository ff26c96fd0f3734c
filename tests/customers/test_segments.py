"""Stages, RFM scores and CLV: a small shop computed by hand, reruns, time passing."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from customers import services
from customers.models import Activity, CustomerScore, SegmentSettings, Stage
from customers.signals import customer_stage_changed
from tests.conftest import at
from tests.factories import CustomerFactory, OrderFactory

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


def test_ties_are_broken_by_customer_id(db):
    twins = [CustomerFactory() for _ in range(5)]
    for customer in twins:
        buy(customer, 5, "10.00")

    services.segments_recompute(as_of=AS_OF)

    assert [score(c).f_score for c in twins] == [1, 2, 3, 4, 5]
