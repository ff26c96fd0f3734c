"""How an earning rule earns, as arithmetic over plain values: no queries, so the earning
services, the admin's previews and the shopper's "you would earn" read the same rule.

- An order rule earns `points_per_unit` for each currency unit of the order total after
  discounts; an activity rule earns its fixed `points`. Either is multiplied by the rule's
  `multiplier` (a double-points weekend) and by the customer's tier `earn_multiplier`, then
  rounded down to whole points (`rule_points`).
- A rule applies only while it is active, within its window, to orders at or above its minimum
  total and to members of its tiers, none chosen meaning everyone (`rule_applies`); caps are
  counted per calendar period in the shop's time zone (`cap_period_start`).
- A refund takes back the points in proportion to the money it gave back (`refund_points`).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.utils import timezone

from .models import EarningRule


@dataclass(frozen=True)
class Award:
    rule: EarningRule
    points: int


def _floor(value: Decimal) -> int:
    return max(int(value.to_integral_value(rounding=ROUND_FLOOR)), 0)


def rule_points(*, rule: EarningRule, order_total: Decimal | None = None,
                tier_multiplier: Decimal = Decimal("1")) -> int:
    """What the rule earns, before its conditions are checked: for an order rule the total
    times points per unit, for an activity rule its fixed points; times the rule's multiplier
    and the tier's, rounded down."""
    base = (Decimal(order_total or 0) * rule.points_per_unit if rule.kind == EarningRule.Kind.ORDER
            else Decimal(rule.points))
    return _floor(base * rule.multiplier * tier_multiplier)


def rule_applies(*, rule: EarningRule, when: dt.datetime, tier_id: int | None,
                 order_total: Decimal | None = None, tier_ids: set[int] | None = None) -> bool:
    """The rule's window, minimum order total and tiers (caps are counted separately).
    The rule's tiers come from `tier_ids` when given (a change not saved yet), else from
    `rule.tiers`, which should be prefetched."""
    if not rule.is_active:
        return False
    if rule.starts_at and when < rule.starts_at:
        return False
    if rule.ends_at and when >= rule.ends_at:
        return False
    if (rule.min_order_total is not None and order_total is not None
            and order_total < rule.min_order_total):
        return False
    if tier_ids is None:
        tier_ids = {tier.pk for tier in rule.tiers.all()}
    return not tier_ids or tier_id in tier_ids


def cap_period_start(period: str, now: dt.datetime) -> dt.datetime | None:
    """The start of the calendar period containing `now`, in the shop's time zone."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == EarningRule.CapPeriod.DAY:
        return midnight
    if period == EarningRule.CapPeriod.WEEK:
        return midnight - dt.timedelta(days=midnight.weekday())
    if period == EarningRule.CapPeriod.MONTH:
        return midnight.replace(day=1)
    if period == EarningRule.CapPeriod.YEAR:
        return midnight.replace(month=1, day=1)
    return None


def refund_points(*, earned: int, refunded: Decimal, total: Decimal) -> int:
    """The points a refund takes back from an order that earned `earned` on `total`: its
    share, rounded down, so it depends on this refund alone and never on the refunds before
    it (whatever order they arrive in); what rounding leaves once the order is refunded in
    full is taken back then (`points_reverse_for_refund`)."""
    if total <= 0:
        return earned
    return min(int(Decimal(earned) * refunded / total), earned)
