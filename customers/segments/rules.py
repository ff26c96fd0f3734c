"""The rules behind stages, RFM segments and CLV, in one place.

The nightly recompute applies them in SQL (segments/services/recompute.py) and an arriving
order applies them in Python (`stage_for`); both read the constants and tables below, and a test
checks the two agree. Times are whole seconds since the epoch, so both paths do exact integer
arithmetic.

Lifecycle stage, first match wins:
  prospect    no paid order yet;
  lapsed      with the value model, for a customer with repeat orders: P(alive) below
              `lapsed_below_p_alive` (20 %). Otherwise no order for longer than `lapsed_days`
              (or the at-risk gap, if longer);
  at_risk     with the value model, for a customer with repeat orders: P(alive) below
              `at_risk_below_p_alive` (50 %). Otherwise no order for longer than expected:
              twice the customer's own median gap between orders (never less than
              `min_expected_gap_days`), or `at_risk_days` (120) for a customer with a single
              order (BG/NBD can't judge one order: it lets customers leave only after a repeat
              order, so it would call every one-order customer alive);
  won_back    was at risk or lapsed and has ordered since; they stay won back until their next
              order;
  loyal       `loyal_orders` (5) or more orders, or a VIP tier;
  repeat      two or more orders;
  first_time  one order.

RFM: recency (days since the last order), frequency (orders) and monetary (net revenue) are
scored 1-5 by quintile of value: score = min(5, 1 + 5 * below // max(buyers - 1, 1)),
where `below` is how many buyers have a worse value (SQL's RANK() - 1). Equal values get equal
scores (every one-order customer has the same F), and a score says where the value stands
among everybody's: F = 1 means fewer than a fifth of the buyers have fewer orders. The named
segment comes from RFM_GRID by (R, F).

Money: an order counts once paid and not cancelled (COUNTED) for ORDER_NET, what stayed with
the shop in the shop currency (one expression, used by both paths).

CLV: historical = net revenue. Predicted, with the value model (customers/segments/
value_model.py): expected orders per month x expected order value, discounted, over the
horizon. Without it: average order value x orders per year x the horizon (years), where orders
per year = orders x 365 / max(365, days since the first order); it simplifies to net x 365 x
horizon / tenure days.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from customers.models import Order, RfmSegment, SegmentSettings, Stage

# An order counts toward stages, RFM and CLV once paid and while not cancelled; its value is
# what stayed with the shop in the shop currency (Order.shop_net): an order in another currency
# that came without a converted amount adds nothing.
COUNTED = Q(paid_at__isnull=False) & ~Q(status=Order.Status.CANCELLED)
ORDER_NET = Coalesce(F("shop_net"), Value(Decimal("0")))

DAY = 86_400

S = RfmSegment
# RFM_GRID[r][f - 1]: rows are recency scores 5 (ordered lately) to 1, columns frequency 1-5.
RFM_GRID: dict[int, tuple[str, ...]] = {
    5: (S.NEW, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.PROMISING, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.LOYAL, S.CHAMPIONS),
    3: (S.ABOUT_TO_SLEEP, S.NEED_ATTENTION, S.NEED_ATTENTION, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
    1: (S.LOST, S.LOST, S.HIBERNATING, S.AT_RISK, S.CANT_LOSE),
}
WINBACK_FROM = (Stage.AT_RISK, Stage.LAPSED)


def rfm_segment(r: int | None, f: int | None) -> str:
    if r is None or f is None:
        return ""
    return str(RFM_GRID[r][f - 1])


def expected_gap_seconds(*, orders: int, median_gap: float | None,
                         settings: SegmentSettings) -> float:
    if orders >= 2 and median_gap is not None:
        return max(settings.min_expected_gap_days * DAY, 2 * median_gap)
    return settings.at_risk_days * DAY


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def stage_for(
    *, orders: int, last_t: int | None, median_gap: float | None, tier: str,
    prev_stage: str, prev_since_t: int | None, prev_orders: int, as_of_t: int,
    settings: SegmentSettings, p_alive: float | None = None,
) -> str:
    """The stage the rules above give (times in epoch seconds; `p_alive` from the value
    model, None without it or for a single order)."""
    if orders == 0 or last_t is None:
        return Stage.PROSPECT
    if p_alive is not None:
        if p_alive < settings.lapsed_below_p_alive / 100:
            return Stage.LAPSED
        if p_alive < settings.at_risk_below_p_alive / 100:
            return Stage.AT_RISK
    else:
        recency = as_of_t - last_t
        expected = expected_gap_seconds(orders=orders, median_gap=median_gap,
                                        settings=settings)
        if recency > max(settings.lapsed_days * DAY, expected):
            return Stage.LAPSED
        if recency > expected:
            return Stage.AT_RISK
    if (prev_stage in WINBACK_FROM and prev_since_t is not None and last_t >= prev_since_t) or (
        prev_stage == Stage.WON_BACK and orders == prev_orders
    ):
        return Stage.WON_BACK
    if orders >= settings.loyal_orders or (tier and tier in settings.vip_tier_names):
        return Stage.LOYAL
    if orders >= 2:
        return Stage.REPEAT
    return Stage.FIRST_TIME


def clv(*, orders: int, net: Decimal, first_t: int | None, as_of_t: int,
        settings: SegmentSettings) -> tuple[Decimal, float, Decimal]:
    """(average order value, orders per year, predicted CLV by the run rate)."""
    if orders == 0 or first_t is None:
        return Decimal("0.00"), 0.0, Decimal("0.00")
    cent = Decimal("0.01")
    tenure_days = max(365, (as_of_t - first_t) // DAY)
    aov = (net / orders).quantize(cent, ROUND_HALF_UP)
    per_year = orders * 365.0 / tenure_days
    predicted = (net * 365 * settings.clv_horizon_years / tenure_days).quantize(
        cent, ROUND_HALF_UP)
    return aov, per_year, predicted
