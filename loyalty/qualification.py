"""What a customer has toward the VIP tiers: the program's metric over its period.

Plain reads shared by the tier services (which move customers) and the selectors (which show
progress). The metric is one of:

- points: points earned and available, in the period. Held points (an order still inside its
  return window) count only once released; reversals of available points are subtracted.
  Staff adjustments, vouchers cancelled back into points and tier entry bonuses don't count.
- spent: what stayed of the paid, uncancelled orders in the shop's currency (Order.shop_net:
  totals less refunds), by payment date.
- orders: paid, uncancelled orders that were not refunded in full, by payment date.

Periods: lifetime, the calendar year (UTC, ends 31 December) or the rolling 12 months up to now.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from customers.models import Order

from .models import LoyaltyAccount, LoyaltyProgram, PointsEntry, Tier

Metric = LoyaltyProgram.TierMetric
Period = LoyaltyProgram.TierPeriod
ENTRY_KEY_PREFIX = "tier:"
ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Window:
    start: dt.datetime | None  # inclusive; None is the beginning of time
    end: dt.datetime | None  # exclusive; None is open
    deadline: dt.date | None  # the last day counted, shown to customers


def _year_start(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC)


def _twelve_months_before(now: dt.datetime) -> dt.datetime:
    try:
        return now.replace(year=now.year - 1)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 1, day=28)


def period_window(*, period: str, now: dt.datetime) -> Window:
    """The qualifying window that contains `now`."""
    if period == Period.CALENDAR_YEAR:
        year = now.astimezone(dt.UTC).year
        return Window(_year_start(year), _year_start(year + 1), dt.date(year, 12, 31))
    if period == Period.ROLLING_12_MONTHS:
        return Window(_twelve_months_before(now), None, None)
    return Window(None, None, None)


def ended_window(*, period: str, now: dt.datetime) -> Window | None:
    """The window that ended most recently before `now` (the calendar year before), for the
    re-evaluation at period end; None for periods that don't end (lifetime, rolling)."""
    if period != Period.CALENDAR_YEAR:
        return None
    year = now.astimezone(dt.UTC).year - 1
    return Window(_year_start(year), _year_start(year + 1), dt.date(year, 12, 31))


def _in(field: str, window: Window) -> Q:
    q = Q()
    if window.start is not None:
        q &= Q(**{f"{field}__gte": window.start})
    if window.end is not None:
        q &= Q(**{f"{field}__lt": window.end})
    return q


# The entries the points metric counts (with bonuses not given back for a cancelled voucher).
COUNTED_KINDS = (PointsEntry.Kind.EARN, PointsEntry.Kind.RELEASE, PointsEntry.Kind.REVERSE)


def counts_toward_points(entry: PointsEntry, window: Window) -> bool:
    """Whether the points metric counts this entry: what `qualifying_values` asks of the
    rows, asked of one in memory (a test holds the two to the same answers)."""
    return (not entry.held and not entry.key.startswith(ENTRY_KEY_PREFIX)
            and (entry.kind in COUNTED_KINDS
                 or (entry.kind == PointsEntry.Kind.BONUS and entry.redemption_id is None))
            and (window.start is None or entry.created_at >= window.start)
            and (window.end is None or entry.created_at < window.end))


def opened_account_value(*, metric: str, window: Window, entries) -> Decimal | None:
    """What an account opened in this transaction qualifies for, from the entries posted to
    it since (all it has), without a query; None for the metrics that count orders, which
    the customer may have had before the account."""
    if metric != Metric.POINTS:
        return None
    return sum((Decimal(entry.amount) for entry in entries
                if counts_toward_points(entry, window)), ZERO)


def qualifying_values(*, metric: str, window: Window, account_ids) -> dict[int, Decimal]:
    """{account id: value} for these accounts (missing ones have nothing), in one query."""
    account_ids = list(account_ids)
    if metric == Metric.POINTS:
        rows = (PointsEntry.objects
                .filter(_in("created_at", window), account_id__in=account_ids, held=False)
                .filter(Q(kind__in=COUNTED_KINDS)
                        | Q(kind=PointsEntry.Kind.BONUS, redemption__isnull=True))
                .exclude(key__startswith=ENTRY_KEY_PREFIX)
                .values("account_id").annotate(value=Sum("amount"))
                .values_list("account_id", "value"))
        return {pk: Decimal(value or 0) for pk, value in rows}
    orders = Order.objects.filter(
        _in("paid_at", window), paid_at__isnull=False, cancelled_at__isnull=True,
        customer__loyalty_account__in=account_ids,
    )
    if metric == Metric.SPENT:
        rows = (orders.values("customer__loyalty_account")
                .annotate(value=Sum("shop_net"))
                .values_list("customer__loyalty_account", "value"))
    else:
        rows = (orders.filter(refunded_total__lt=F("total"))
                .values("customer__loyalty_account").annotate(value=Count("pk"))
                .values_list("customer__loyalty_account", "value"))
    # SQLite sums decimals as floats: back to cents.
    return {pk: Decimal(str(value or 0)).quantize(CENT) for pk, value in rows}


def qualifying_value(*, account: LoyaltyAccount, program: LoyaltyProgram,
                     window: Window) -> Decimal:
    return qualifying_values(metric=program.tier_metric, window=window,
                             account_ids=[account.pk]).get(account.pk, ZERO)


def tier_for_value(*, value: Decimal, tiers: Sequence[Tier]) -> Tier | None:
    """The best tier (highest position) whose threshold the value reaches."""
    reached = [tier for tier in tiers if value >= tier.threshold]
    return max(reached, key=lambda tier: tier.position, default=None)


def rank(tier: Tier | None) -> int:
    return tier.position if tier is not None else 0


def best(*tiers: Tier | None) -> Tier | None:
    return max(tiers, key=rank)


def next_tier(*, current: Tier | None, tiers: list[Tier]) -> Tier | None:
    """The lowest tier above `current`."""
    above = [tier for tier in tiers if rank(tier) > rank(current)]
    return min(above, key=rank, default=None)
