"""Reads of the points ledger, for the API, the pages and the other apps."""

import datetime as dt

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from customers.models import Activity, Customer

from .models import (
    EarningRule,
    LoyaltyAccount,
    PointsEntry,
    Redemption,
    Reward,
    voucher_code_normalize,
)


def balance_get(*, customer: Customer) -> dict[str, int]:
    """Available and pending points from the account's cached columns (never summing the
    ledger, so it costs the same for 10 entries or a million). No account yet means zero."""
    row = (LoyaltyAccount.objects.filter(customer=customer)
           .values("balance", "pending").first())
    return row or {"balance": 0, "pending": 0}


def loyalty_summary_get(*, customer: Customer) -> dict:
    """What a customer sees at a glance, from cached columns only. Tiers and expiry are not
    built yet, so they read as empty."""
    return {**balance_get(customer=customer), "expiring_soon": [], "tier": None,
            "next_tier": None, "progress": None}


def activity_points_preview(*, activity_kind: str) -> int:
    """The points an activity of this kind earns now under the active rule (0 when none), for
    pages that promise them ("create an account to keep your 50 points")."""
    points = (EarningRule.objects.filter(kind=EarningRule.Kind.ACTIVITY, is_active=True,
                                       activity_kind=activity_kind)
            .order_by("-points", "pk").values_list("points", flat=True).first())
    return points or 0


def activity_points_earned(*, activity: Activity) -> int:
    """The points this activity earned (0 when it earned none)."""
    return (PointsEntry.objects.filter(activity=activity, kind=PointsEntry.Kind.EARN)
            .aggregate(total=Sum("amount"))["total"] or 0)


def points_entry_list(*, customer: Customer) -> QuerySet[PointsEntry]:
    """The customer's ledger, newest first (empty when they have no account)."""
    return (PointsEntry.objects.filter(account__customer=customer)
            .select_related("order", "redemption").order_by("-created_at", "-id"))


def reward_list_available(*, now: dt.datetime | None = None) -> QuerySet[Reward]:
    """Rewards a customer can redeem now: active, within their window and in stock."""
    return (Reward.objects.redeemable(now or timezone.now())
            .filter(Q(stock__isnull=True) | Q(stock__gt=0)).order_by("cost", "name"))


def voucher_get(*, code: str) -> Redemption | None:
    """The voucher with this code (any case or spacing), or None."""
    return (Redemption.objects.select_related("reward")
            .filter(code=voucher_code_normalize(code)).first())


def tier_position_get(*, customer: Customer | None) -> int | None:
    """The position of the customer's current VIP tier (1 is the entry tier), or None when
    they have none (or are anonymous): what unlocks VIP-only products. One query."""
    if customer is None or customer.pk is None:
        return None
    return (LoyaltyAccount.objects.filter(customer=customer, tier__isnull=False)
            .values_list("tier__position", flat=True).first())
