"""Reads of the points ledger, for the API, the pages and the other apps."""

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import TypedDict

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.models import Activity, Customer
from kernel.formats import date_format, money_format, number_format

from . import qualification as q
from .models import (
    EarningRule,
    LoyaltyAccount,
    LoyaltyProgram,
    PointsEntry,
    Redemption,
    Reward,
    Tier,
    voucher_code_normalize,
)


class Balance(TypedDict):
    balance: int
    pending: int


def balance_get(*, customer: Customer) -> Balance:
    """Available and pending points from the account's cached columns (never summing the
    ledger, so it costs the same for 10 entries or a million). No account yet means zero."""
    row = (LoyaltyAccount.objects.filter(customer=customer)
           .values("balance", "pending").first())
    return row or {"balance": 0, "pending": 0}


def account_tier_get(*, customer: Customer) -> Tier | None:
    """The customer's current tier, from the account's cached column (no ledger reads)."""
    account = (LoyaltyAccount.objects.select_related("tier").filter(customer=customer)
               .only("tier").first())
    return account.tier if account else None


def loyalty_summary_get(*, customer: Customer, now: dt.datetime | None = None) -> dict:
    """What a customer sees at a glance: available and pending points (cached columns), the
    points expiring soon (`[{"points", "expires_at"}]`, oldest first), their tier, the next
    one and their progress toward it."""
    return {**balance_get(customer=customer),
            "expiring_soon": points_expiring_soon(customer=customer, now=now),
            **tier_progress_get(customer=customer, now=now)}


def tier_as_dict(tier: Tier | None) -> dict | None:
    if tier is None:
        return None
    return {"id": tier.pk, "name": tier.name, "position": tier.position,
            "threshold": str(tier.threshold), "colour": tier.colour,
            "badge_url": tier.badge.url if tier.badge else "", "perks": tier.perks,
            "earn_multiplier": str(tier.earn_multiplier)}


def _remaining_text(*, metric: str, remaining: Decimal, tier: Tier, window: q.Window,
                    period: str) -> str:
    name = tier.name
    if metric == q.Metric.SPENT:
        amount = money_format(remaining, settings.SHOP_CURRENCY)
        what = _("Spend %(amount)s more") % {"amount": amount}
    elif metric == q.Metric.POINTS:
        count = int(remaining.to_integral_value(rounding=ROUND_CEILING))
        what = ngettext("Earn %(count)s more point", "Earn %(count)s more points",
                        count) % {"count": number_format(count)}
    else:
        count = int(remaining.to_integral_value(rounding=ROUND_CEILING))
        what = ngettext("Place %(count)s more order", "Place %(count)s more orders",
                        count) % {"count": number_format(count)}
    if window.deadline is not None:
        return _("%(what)s by %(date)s to reach %(tier)s.") % {
            "what": what, "date": date_format(window.deadline, with_year=False), "tier": name}
    if period == q.Period.ROLLING_12_MONTHS:
        return _("%(what)s to reach %(tier)s (we count the last 12 months).") % {
            "what": what, "tier": name}
    return _("%(what)s to reach %(tier)s.") % {"what": what, "tier": name}


def tier_progress_get(*, customer: Customer, now: dt.datetime | None = None) -> dict:
    """The customer's tier, the next one and their progress toward it, period-aware:
    {"tier", "next_tier", "progress": {metric, period, current, target, remaining, percent,
    deadline, text}}. `progress` is None when there are no tiers; at the top tier it says so
    with nothing remaining. The metric over the period is read from the orders or the
    period's entries (loyalty/qualification.py)."""
    now = now or timezone.now()
    tiers = list(Tier.objects.order_by("position"))
    account = (LoyaltyAccount.objects.select_related("tier").filter(customer=customer)
               .first())
    current = account.tier if account else None
    result = {"tier": tier_as_dict(current), "next_tier": None, "progress": None}
    if not tiers:
        return result
    program = LoyaltyProgram.get()
    window = q.period_window(period=program.tier_period, now=now)
    value = q.qualifying_value(account=account, program=program, window=window) \
        if account else q.ZERO
    # The next tier above both their tier and what they already qualify for.
    upcoming = q.next_tier(current=q.best(current, q.tier_for_value(value=value, tiers=tiers)),
                           tiers=tiers)
    progress: dict[str, object] = {
        "metric": program.tier_metric, "period": program.tier_period, "current": str(value),
        "deadline": window.deadline.isoformat() if window.deadline else None,
    }
    if upcoming is None:
        progress.update(target=str(value), remaining="0", percent=100,
                        text=_("You're in our top tier.") if current else "")
    else:
        remaining = max(upcoming.threshold - value, q.ZERO)
        percent = (int(min(value / upcoming.threshold * 100, Decimal(100)))
                   if upcoming.threshold else 100)
        progress.update(
            target=str(upcoming.threshold), remaining=str(remaining), percent=percent,
            text=_remaining_text(metric=program.tier_metric, remaining=remaining,
                                 tier=upcoming, window=window, period=program.tier_period))
    result["next_tier"] = tier_as_dict(upcoming)
    result["progress"] = progress
    return result


_PREVIEW_SQL: dict[str, tuple[str, tuple]] = {}


def activity_points_preview(*, activity_kind: str) -> int:
    """The points an activity of this kind earns now for anyone (rules open to every tier and
    every segment, within their window, with their multiplier; 0 when none), for pages that
    promise them ("create an account to keep your 50 points"). A member's tier multiplier may
    add more."""
    from .earning import rule_applies, rule_points

    now = timezone.now()
    # The statement is compiled once per process and kind (pages answering a quiz ask on
    # every completion; compiling it cost more CPU than running it); the rules are read
    # fresh each time.
    compiled = _PREVIEW_SQL.get(activity_kind)
    if compiled is None:
        compiled = _PREVIEW_SQL[activity_kind] = (
            EarningRule.objects.filter(kind=EarningRule.Kind.ACTIVITY, is_active=True,
                                       activity_kind=activity_kind, tiers__isnull=True,
                                       audience__isnull=True)
            .order_by("pk").query.sql_with_params())
    rules = EarningRule.objects.raw(*compiled)
    return max((rule_points(rule=rule) for rule in rules
                if rule_applies(rule=rule, when=now, tier_id=None, tier_ids=set())), default=0)


def activity_points_earned(*, activity: Activity) -> int:
    """The points this activity earned (0 when it earned none)."""
    return (PointsEntry.objects.filter(activity=activity, kind=PointsEntry.Kind.EARN)
            .aggregate(total=Sum("amount"))["total"] or 0)


def points_entry_list(*, customer: Customer) -> QuerySet[PointsEntry]:
    """The customer's ledger, newest first (empty when they have no account)."""
    return (PointsEntry.objects.filter(account__customer=customer)
            .select_related("order", "redemption__reward", "activity", "refund__order")
            .order_by("-created_at", "-id"))


# What an activity that earned points means, where no other app describes it.
ACTIVITY_CAUSES = {
    Activity.Kind.CUSTOMER_CREATED: gettext_lazy("Welcome to the club"),
    Activity.Kind.ACCOUNT_CREATED: gettext_lazy("Creating your account"),
    Activity.Kind.BIRTHDAY: gettext_lazy("Happy birthday"),
    Activity.Kind.NPS_ANSWERED: gettext_lazy("Answering our survey"),
}


def points_entry_reasons(entries) -> dict[int, str]:
    """{entry id: its reason in the active language}. What Flywheel posts itself (a tier's
    entry points and their withdrawal, a cancelled voucher's points given back) is worded
    when read, from the entry's key, so every reader gets their own language; what staff
    wrote stays as they wrote it. One query for the tiers' names, when there are any."""
    tiers = [(entry, _tier_id(entry.key)) for entry in entries]
    wanted = {tier_id for _entry, tier_id in tiers} - {None}
    names = dict(Tier.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    reasons = {}
    for entry, tier_id in tiers:
        reason = entry.reason
        if tier_id in names:
            reason = (_("%(tier)s left: the order that reached it was refunded")
                      if entry.key.endswith(":withdrawn") else _("Welcome to %(tier)s")) % {
                "tier": names[tier_id]}
        elif entry.redemption_id and entry.key == f"redemption:{entry.redemption_id}:refund":
            reason = _("Voucher %(code)s cancelled") % {"code": entry.redemption.code}
        reasons[entry.pk] = reason
    return reasons


def _tier_id(key: str) -> int | None:
    """The tier of a tier's entry points key (`tier:<tier id>:entry:<account id>`)."""
    if not key.startswith(q.ENTRY_KEY_PREFIX):
        return None
    head = key[len(q.ENTRY_KEY_PREFIX):].partition(":")[0]
    return int(head) if head.isdigit() else None


def points_entry_causes(entries) -> list[tuple[PointsEntry, str]]:
    """Each entry with its cause in the shopper's words: "Order #1001", "Quiz: Find your
    routine", "Lena joined with your link", "Redeemed: €5 off", "Expired"."""
    from kernel.describers import activity_texts

    entries = list(entries)
    activities = activity_texts(e.activity for e in entries if e.activity_id)
    reasons = points_entry_reasons(entries)
    rows = []
    for entry in entries:
        reason = reasons[entry.pk]
        order = entry.order or (entry.refund.order if entry.refund_id else None)
        order_name = (order.name or f"#{order.external_id}") if order else ""
        Kind = PointsEntry.Kind
        if entry.kind == Kind.EXPIRE:
            cause = _("Expired")
        elif entry.kind == Kind.REDEEM and entry.redemption_id:
            cause = _("Redeemed: %(reward)s") % {"reward": entry.redemption.reward.name}
        elif entry.kind == Kind.RELEASE and order:
            cause = _("Order %(order)s: return window passed") % {"order": order_name}
        elif entry.kind == Kind.REVERSE and order:
            cause = _("Refund on order %(order)s") % {"order": order_name}
        elif entry.activity_id:
            cause = activities.get(entry.activity_id) or str(
                ACTIVITY_CAUSES.get(entry.activity.kind, entry.activity.kind_label))
            if entry.kind == Kind.REVERSE:
                cause = _("Taken back: %(cause)s") % {"cause": cause}
        elif order:
            cause = _("Order %(order)s") % {"order": order_name}
        elif entry.kind == Kind.ADJUST:
            cause = reason or _("Adjusted by the shop")
        else:
            cause = reason or entry.get_kind_display()
        rows.append((entry, cause))
    return rows


def reward_list_available(*, now: dt.datetime | None = None) -> QuerySet[Reward]:
    """Rewards a customer can redeem now: active, within their window and in stock."""
    return (Reward.objects.redeemable(now or timezone.now())
            .filter(Q(stock__isnull=True) | Q(stock__gt=0)).order_by("cost", "name"))


def voucher_get(*, code: str) -> Redemption | None:
    """The voucher with this code (any case or spacing), or None."""
    return (Redemption.objects.select_related("reward")
            .filter(code=voucher_code_normalize(code)).first())


def tier_get(*, customer: Customer) -> Tier | None:
    """The customer's current VIP tier, or None."""
    return Tier.objects.filter(accounts__customer=customer).first()


def tier_position_get(*, customer: Customer | None) -> int | None:
    """The position of the customer's current VIP tier (1 is the entry tier), or None when
    they have none (or are anonymous): what unlocks VIP-only products. One query."""
    if customer is None or customer.pk is None:
        return None
    return (LoyaltyAccount.objects.filter(customer=customer, tier__isnull=False)
            .values_list("tier__position", flat=True).first())
def points_expiring_soon(*, customer: Customer, now: dt.datetime | None = None) -> list[dict]:
    """The customer's points that expire within the program's reminder window (or are already
    due and go at the next expiry run), grouped by expiry date, oldest first:
    `[{"points": 120, "expires_at": datetime}, ...]`. Empty when points never expire.

    Counts only what a lot still holds after the customer's spending, first in, first out, so
    the figures add up to at most the available balance."""
    from . import expiry
    from .models import LoyaltyProgram

    now = now or timezone.now()
    program = LoyaltyProgram.get()
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    if account is None or program.expiry == LoyaltyProgram.Expiry.NEVER or account.balance <= 0:
        return []
    lots = list(expiry.available_lots().filter(account=account))
    last_activity = None
    if program.expiry == LoyaltyProgram.Expiry.INACTIVITY:
        last_activity = (account.entries.filter(kind__in=expiry.ACTIVITY_KINDS)
                         .order_by("-created_at").values_list("created_at", flat=True).first())
        if last_activity is None:
            return []
    shares = expiry.lot_shares(lots=[(lot.pk, lot.remaining) for lot in lots],
                               balance=account.balance)
    until = now + dt.timedelta(days=program.expiry_reminder_days)
    soon: dict[dt.datetime, int] = {}
    for lot in lots:
        expires_at = expiry.expiry_of(program=program, lot=lot, last_activity=last_activity)
        if shares[lot.pk] and expires_at <= until:
            soon[expires_at] = soon.get(expires_at, 0) + shares[lot.pk]
    return [{"points": points, "expires_at": expires_at}
            for expires_at, points in sorted(soon.items())]


def _month_start(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_back(start: dt.datetime, count: int) -> list[dt.datetime]:
    months, year, month = [], start.year, start.month
    for _i in range(count):
        months.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def program_report_get(*, now: dt.datetime | None = None, months: int = 12) -> dict:
    """The program's numbers for staff: members per tier; points issued (earned and bonus),
    redeemed and expired per month over the last `months` months; the outstanding liability
    (available and pending points, and their value at the program's point value); and the
    breakage rate (all points expired / all points issued)."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    now = now or timezone.now()
    program = LoyaltyProgram.get()
    members = [{"name": tier.name, "colour": tier.colour, "count": tier.members}
               for tier in Tier.objects.annotate(members=Count("accounts"))
               .order_by("position")]
    members.insert(0, {"name": _("No tier"), "colour": "#9ca3af",
                       "count": LoyaltyAccount.objects.filter(tier__isnull=True).count()})
    month_list = _months_back(_month_start(now), months)
    kinds = {"issued": [PointsEntry.Kind.EARN, PointsEntry.Kind.BONUS],
             "redeemed": [PointsEntry.Kind.REDEEM], "expired": [PointsEntry.Kind.EXPIRE]}
    rows = (PointsEntry.objects.filter(created_at__gte=month_list[0])
            .annotate(month=TruncMonth("created_at", tzinfo=dt.UTC))
            .values("month", "kind").annotate(total=Sum("amount")))
    per_month = {month: {"issued": 0, "redeemed": 0, "expired": 0} for month in month_list}
    for row in rows:
        for series, series_kinds in kinds.items():
            if row["kind"] in series_kinds and row["month"] in per_month:
                per_month[row["month"]][series] += abs(row["total"] or 0)
    totals = PointsEntry.objects.values("kind").annotate(total=Sum("amount"))
    all_time = {row["kind"]: abs(row["total"] or 0) for row in totals}
    issued = all_time.get(PointsEntry.Kind.EARN, 0) + all_time.get(PointsEntry.Kind.BONUS, 0)
    expired = all_time.get(PointsEntry.Kind.EXPIRE, 0)
    owed = LoyaltyAccount.objects.aggregate(
        available=Sum("balance", filter=Q(balance__gt=0)), pending=Sum("pending"))
    available, pending = owed["available"] or 0, owed["pending"] or 0
    return {
        "members": members,
        "months": [{"month": month, **values} for month, values in per_month.items()],
        "issued": issued, "redeemed": all_time.get(PointsEntry.Kind.REDEEM, 0),
        "expired": expired,
        "available": available, "pending": pending, "point_value": program.point_value,
        "available_value": available * program.point_value,
        "pending_value": pending * program.point_value,
        "breakage": (Decimal(expired) / issued * 100).quantize(Decimal("0.1"))
        if issued else None,
        "currency": settings.SHOP_CURRENCY,
    }


def voucher_list(*, customer: Customer) -> QuerySet[Redemption]:
    """The customer's vouchers (bought or given), newest first."""
    return (Redemption.objects.filter(account__customer=customer).select_related("reward")
            .order_by("-created_at", "-id"))


def _iso(value):
    return value.isoformat() if value else None


def loyalty_export(*, customer: Customer) -> dict:
    """The customer's points for a data-access request: balance and tier, every ledger entry
    with its cause, their vouchers and their tier moves."""
    account = (LoyaltyAccount.objects.select_related("tier", "manual_tier")
               .filter(customer=customer).first())
    if account is None:
        return {"loyalty": None}
    entries = list(account.entries.select_related("order", "redemption")
                   .order_by("created_at", "id"))
    reasons = points_entry_reasons(entries)
    return {"loyalty": {
        "balance": account.balance, "pending": account.pending,
        "tier": account.tier.name if account.tier else None,
        "tier_since": _iso(account.tier_since),
        "manual_tier": account.manual_tier.name if account.manual_tier else None,
        "manual_tier_until": _iso(account.manual_tier_until),
        "ledger": [
            {"kind": e.kind, "points": e.amount, "held": e.held, "reason": reasons[e.pk],
             "order": e.order.name or e.order.external_id if e.order_id else None,
             "voucher": e.redemption.code if e.redemption_id else None,
             "at": _iso(e.created_at)}
            for e in entries
        ],
        "vouchers": [
            {"code": r.code, "reward": r.reward.name, "points": r.points, "status": r.status,
             "created_at": _iso(r.created_at), "expires_at": _iso(r.expires_at),
             "used_at": _iso(r.used_at)}
            for r in account.redemptions.select_related("reward").order_by("created_at", "id")
        ],
        "tier_changes": [
            {"from": c.from_name, "to": c.to_name, "reason": c.reason, "note": c.note,
             "at": _iso(c.created_at)}
            for c in account.tier_changes.order_by("created_at", "id")
        ],
    }}


def _points(count) -> str:
    """"1 point", "50 points", "1.5 points"."""
    if count != int(count):
        return _("%(count)s points") % {"count": Decimal(count).normalize()}
    count = int(count)
    return ngettext("%(count)s point", "%(count)s points", count) % {"count": count}


ACTIVITY_WAYS: dict[str, Promise] = {
    Activity.Kind.CUSTOMER_CREATED: gettext_lazy("%(points)s for joining"),
    Activity.Kind.ACCOUNT_CREATED: gettext_lazy("%(points)s for creating your account"),
    Activity.Kind.BIRTHDAY: gettext_lazy("%(points)s on your birthday"),
    Activity.Kind.QUIZ_COMPLETED: gettext_lazy("%(points)s for taking a quiz"),
    Activity.Kind.NPS_ANSWERED: gettext_lazy("%(points)s for answering our survey"),
    Activity.Kind.REFERRAL_CONVERTED: gettext_lazy(
        "%(points)s when a friend you referred places their first order"),
}


def earning_ways(*, now: dt.datetime | None = None) -> list[str]:
    """How to earn, in the shopper's words, from the earning rules active now for everyone:
    "1 point per €1", "50 points for taking a quiz". Rules for some tiers or a segment only
    are left out (the page doesn't know who reads it)."""
    now = now or timezone.now()
    rules = (EarningRule.objects.filter(is_active=True, audience__isnull=True,
                                        tiers__isnull=True)
             .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
             .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
             .order_by("kind", "-points", "name"))
    currency = settings.SHOP_CURRENCY
    ways = []
    for rule in rules:
        if rule.kind == EarningRule.Kind.ORDER:
            rate = rule.points_per_unit * rule.multiplier
            if rate <= 0:
                continue
            text = (_("%(points)s per %(money)s spent")
                    % {"points": _points(rate), "money": money_format(1, currency)}
                    if rate >= 1 else
                    _("1 point per %(money)s spent") % {"money": money_format(
                        (1 / rate).quantize(Decimal("0.01")), currency)})
            if rule.min_order_total:
                text += " " + _("on orders from %(money)s") % {
                    "money": money_format(rule.min_order_total, currency)}
            if rule.ends_at:
                text += " " + _("until %(date)s") % {
                    "date": date_format(timezone.localtime(rule.ends_at))}
        else:
            points = int(rule.points * rule.multiplier)
            if points <= 0:
                continue
            template = ACTIVITY_WAYS.get(rule.activity_kind)
            text = (str(template) % {"points": _points(points)} if template else
                    _("%(points)s: %(what)s") % {"points": _points(points), "what": rule.name})
        if text not in ways:
            ways.append(text)
    return ways


def tiers_explained() -> list[dict]:
    """The tiers in order with what reaching each takes and what it brings, for the front
    page: [{"tier", "needs", "perks", "multiplier"}]."""
    program = LoyaltyProgram.get()
    Metric = LoyaltyProgram.TierMetric
    rows = []
    for tier in Tier.objects.order_by("position"):
        if tier.threshold <= 0:
            needs = _("Yours when you join")
        elif program.tier_metric == Metric.SPENT:
            needs = _("Spend %(money)s") % {
                "money": money_format(tier.threshold, settings.SHOP_CURRENCY)}
        elif program.tier_metric == Metric.ORDERS:
            count = int(tier.threshold)
            needs = ngettext("%(count)s order", "%(count)s orders", count) % {"count": count}
        else:
            needs = _("Earn %(points)s") % {"points": _points(int(tier.threshold))}
        if tier.threshold > 0 and program.tier_period != LoyaltyProgram.TierPeriod.LIFETIME:
            needs += " · " + str(program.get_tier_period_display()).lower()
        multiplier = tier.earn_multiplier if tier.earn_multiplier != 1 else None
        rows.append({"tier": tier, "needs": needs, "perks": tier.perks,
                     "multiplier": multiplier.normalize() if multiplier else None})
    return rows
