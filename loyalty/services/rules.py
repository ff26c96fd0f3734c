"""Earning rules: which rule awards what for an order or an activity, changing a rule, and
taking back a cancelled order's points.

How a rule earns (the admin help text says the same):

- An order rule earns `points_per_unit` for each currency unit of the order total after
  discounts; an activity rule earns its fixed `points`. Either is multiplied by the rule's
  `multiplier` (a double-points weekend) and by the customer's tier `earn_multiplier`, then
  rounded down to whole points. Refunds later take back points in proportion to the money.
- A rule applies only while it is active, within its window (at the order's payment or the
  activity's time), to orders at or above its minimum total, to members of its tiers (none
  chosen: everyone), to the customers of its audience (a customer segment; none: everyone)
  and while the customer is under its cap (N times ever, or per calendar
  day, week, month or year, counted on the entries it posted).
- Of the rules that apply, the one that earns the most wins (the oldest on a tie), and its
  points are posted once, on an entry that records the rule and its version.

Reading the candidate rules costs a fixed number of queries whatever the number of rules:
the rules with their tiers (2, and 1 more for their audiences' segment rules when any has an
audience). Inside `kernel.memo.memo_scope()` (a batch of deliveries) they are read once per
kind for the whole batch. Choosing and posting the awards is earning.py's, a batch at a time.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Order
from kernel.errors import FlywheelError
from kernel.memo import memoized

from ..models import EarningRule, LoyaltyAccount, PointsEntry, PointsLot, Tier

Kind = PointsEntry.Kind

RULE_FIELDS = ("name", "activity_kind", "points", "points_per_unit", "multiplier", "starts_at",
               "ends_at", "min_order_total", "cap_count", "cap_period", "is_active", "audience")


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


def _candidates(**filters) -> tuple[EarningRule, ...]:
    """The active rules matching `filters`, with their tiers and their audience's segment
    rules. Every order and activity asks, so they are read once per memo scope (a batch of
    deliveries); the instances are shared, and nothing changes them."""
    key = "loyalty.earning_rules:" + ",".join(f"{name}={value}"
                                              for name, value in sorted(filters.items()))
    return memoized(key, lambda: tuple(
        EarningRule.objects.filter(is_active=True, **filters)
        .select_related("audience")
        .prefetch_related(Prefetch("tiers", queryset=Tier.objects.only("pk")), "audience__rules")
        .order_by("pk")))


def _validate(rule: EarningRule) -> None:
    try:
        rule.full_clean(exclude=["version"])
    except ValidationError as error:
        raise FlywheelError(
            _("The earning rule is not valid."), code="invalid_rule",
            fields={name: " ".join(messages) for name, messages in error.message_dict.items()},
        ) from None


def earning_rule_create(*, tiers: list[Tier] | None = None, **fields) -> EarningRule:
    """A new rule at version 1; it earns from now on."""
    unknown = set(fields) - {*RULE_FIELDS, "kind"}
    if unknown:
        raise TypeError(f"unknown earning rule fields: {sorted(unknown)}")
    with transaction.atomic():
        rule = EarningRule(**fields)
        _validate(rule)
        rule.save()
        if tiers:
            rule.tiers.set(tiers)
    return rule


def earning_rule_update(*, rule: EarningRule, tiers: list[Tier] | None = None,
                        **changes) -> EarningRule:
    """Change a rule (any of RULE_FIELDS, and its tiers); its version goes up by one when
    something really changed, so what it earned before keeps pointing at the version that
    earned it and the change only affects what happens afterwards. None leaves a required
    field (name, points, multiplier...) as it is and clears an optional one (window, minimum
    total, cap). An invalid rule is refused with the fields at fault and changes nothing."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown earning rule fields: {sorted(unknown)}")
    with transaction.atomic():
        rule = EarningRule.objects.select_for_update().get(pk=rule.pk)
        changed = False
        for field, value in changes.items():
            if value is None and field in ("name", "points_per_unit", "is_active", "points",
                                           "multiplier", "cap_period", "activity_kind"):
                continue
            if getattr(rule, field) != value:
                setattr(rule, field, value)
                changed = True
        new_tiers = None
        if tiers is not None:
            new_tiers = {tier.pk for tier in tiers}
            changed |= new_tiers != set(rule.tiers.values_list("pk", flat=True))
        if not changed:
            return rule
        _validate(rule)
        rule.version = F("version") + 1
        rule.save()
        if new_tiers is not None:
            rule.tiers.set(new_tiers)
        rule.refresh_from_db()
    return rule


def points_cancel_for_order(*, order: Order) -> PointsEntry | None:
    """A cancelled order loses the points it earned, once (key `order:<source>:<id>:cancel`):
    whatever its earn lot still holds after refunds is reversed, from pending points during
    the hold and from the balance after it (which may then go negative, as with a refund)."""
    from .ledger import _reverse

    with transaction.atomic():
        earn = PointsEntry.objects.filter(order=order, kind=Kind.EARN).first()
        if earn is None:
            return None
        LoyaltyAccount.objects.select_for_update().filter(pk=earn.account_id).first()
        lot = PointsLot.objects.select_for_update().get(entry=earn)
        return _reverse(earn, lot, key=f"order:{order.source}:{order.external_id}:cancel",
                        points=lot.remaining, order=order, reason="order cancelled")


def birthday_activities_record(*, today: dt.date | None = None) -> int:
    """Record a `birthday` activity for every customer whose birthday is today (29 February
    birthdays on 28 February in other years), once a year (key `birthday:<customer>:<year>`);
    the activity rule for birthdays awards the points. Erased customers are skipped. Returns
    how many were recorded now."""
    from customers.models import Activity as ActivityModel
    from customers.services import activity_record

    today = today or timezone.localdate()
    days = [today.day]
    if today.month == 2 and today.day == 28 and not _is_leap(today.year):
        days.append(29)
    customers = (Customer.objects.filter(birthday__month=today.month, birthday__day__in=days,
                                         erased_at__isnull=True).order_by("pk"))
    done = set(ActivityModel.objects.filter(
        kind=ActivityModel.Kind.BIRTHDAY, key__startswith="birthday:",
        key__endswith=f":{today.year}").values_list("customer_id", flat=True))
    recorded = 0
    for customer in customers.exclude(pk__in=done).iterator():
        with transaction.atomic():
            activity_record(customer=customer, kind=ActivityModel.Kind.BIRTHDAY,
                            key=f"birthday:{customer.pk}:{today.year}",
                            reference=str(today.year))
        recorded += 1
    return recorded


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)

