"""A reference shop and the results computed in plain Python, which both SQL paths (SQLite and
PostgreSQL) must reproduce exactly: the proof that the two dialects agree."""

import datetime as dt
import itertools
import random
from decimal import Decimal

from customers import services
from customers.models import CustomerScore, SegmentSettings
from customers.segments.rules import DAY, clv, median, rfm_segment, stage_for
from tests.factories import CustomerFactory, OrderFactory


def reference_shop(as_of: dt.datetime, customers: int = 37, seed: int = 7) -> list:
    """Customers with 0-7 orders at whole and odd seconds, ties in counts and amounts."""
    rng = random.Random(seed)
    people = []
    for i in range(customers):
        customer = CustomerFactory(email=f"ref{i}@example.com",
                                   loyalty_tier=rng.choice(["", "", "Gold"]))
        for k in range(rng.choice([0, 1, 1, 2, 3, 4, 7])):
            placed = as_of - dt.timedelta(seconds=rng.randint(0, 900 * DAY))
            total = Decimal(rng.choice(["19.99", "45.00", "45.00", "120.50"]))
            refunded = total / 2 if rng.random() < 0.1 else Decimal("0")
            OrderFactory(customer=customer, placed_at=placed, total=total,
                         refunded_total=refunded.quantize(Decimal("0.01")),
                         external_id=f"ref-{i}-{k}")
        people.append(customer)
    # Two orders in the same second: a zero gap.
    twin = CustomerFactory(email="twin@example.com")
    for k in range(2):
        OrderFactory(customer=twin, placed_at=as_of - dt.timedelta(days=3), external_id=f"tw{k}")
    people.append(twin)
    for customer in people:
        services.customer_stats_refresh(customer=customer)
    settings = SegmentSettings.get()
    settings.vip_tiers = "Gold"
    settings.save()
    return people


def _quintiles(values: dict[int, object]) -> dict[int, int]:
    """rules.py's score: min(5, 1 + 5 * (how many have a worse value) // (count - 1))."""
    ordered = sorted(values.values())
    worse = {}
    for index, value in enumerate(ordered):
        worse.setdefault(value, index)
    span = max(len(values) - 1, 1)
    return {pk: min(5, 1 + 5 * worse[value] // span) for pk, value in values.items()}


def reference(people: list, as_of: dt.datetime) -> dict[int, tuple]:
    settings = SegmentSettings.get()
    as_of_t = int(as_of.timestamp())
    facts = {}
    for customer in people:
        orders = sorted(customer.orders.filter(paid_at__isnull=False).exclude(status="cancelled")
                        .values_list("placed_at", "id", "total", "refunded_total"))
        times = [int(o[0].timestamp()) for o in orders]
        net = sum((o[2] - o[3] for o in orders), Decimal("0"))
        facts[customer.pk] = (len(orders), net, times)
    buyers = [pk for pk, (n, _net, _t) in facts.items() if n]
    r = _quintiles({pk: -((as_of_t - facts[pk][2][-1]) // DAY) for pk in buyers})
    f = _quintiles({pk: facts[pk][0] for pk in buyers})
    m = _quintiles({pk: facts[pk][1] for pk in buyers})
    result = {}
    for customer in people:
        n, net, times = facts[customer.pk]
        gap = median([b - a for a, b in itertools.pairwise(times)])
        stage = stage_for(orders=n, last_t=times[-1] if times else None, median_gap=gap,
                          tier=customer.loyalty_tier, prev_stage="", prev_since_t=None,
                          prev_orders=0, as_of_t=as_of_t, settings=settings)
        aov, per_year, predicted = clv(orders=n, net=net, first_t=times[0] if times else None,
                                       as_of_t=as_of_t, settings=settings)
        result[customer.pk] = (
            stage, r.get(customer.pk), f.get(customer.pk), m.get(customer.pk),
            rfm_segment(r.get(customer.pk), f.get(customer.pk)), n, net.quantize(Decimal("0.01")),
            (as_of_t - times[-1]) // DAY if times else None,
            None if gap is None else round(gap / DAY, 9), aov, round(per_year, 9), predicted,
        )
    return result


def assert_matches_reference(people: list, as_of: dt.datetime) -> None:
    services.segments_recompute(as_of=as_of)
    got = {
        s.pk: (s.stage, s.r_score, s.f_score, s.m_score, s.rfm_segment, s.orders,
               Decimal(s.net_revenue).quantize(Decimal("0.01")), s.recency_days,
               None if s.median_gap_days is None else round(s.median_gap_days, 9),
               Decimal(s.average_order_value).quantize(Decimal("0.01")),
               round(s.orders_per_year, 9), Decimal(s.clv_predicted).quantize(Decimal("0.01")))
        for s in CustomerScore.objects.filter(customer__in=people)
    }
    expected = reference(people, as_of)
    assert got == expected
    assert {row[0] for row in expected.values()} >= {"prospect", "at_risk", "lapsed", "loyal"}
