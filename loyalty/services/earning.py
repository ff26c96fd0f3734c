"""Points earned for paid orders and recorded activities, a batch at a time.

Customers announce each batch once (`orders_paid`, `activities_recorded`); a single order or
activity is a batch of one, so there is one code path. For a batch, whatever its size:

- the customers' accounts are opened and locked together (`accounts_locked`);
- the entry keys already posted are read once, and the capped rules' usage by these accounts
  once (plus one membership query per segment used as an audience);
- each item's best rule is chosen in Python (see loyalty/earning.py for how a rule earns), counting
  the awards chosen earlier in the batch toward the caps;
- the entries, their lots and the balances are written with one statement each
  (`grants_post`), and the accounts are promoted together (`tiers_promote_locked`).

A customer with several items in one batch (two orders, or a birthday and a review) has them
applied in turn, one round per item, each round promoted before the next: an item earns with
the tier the items before it reached, as it did when items came one by one.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Activity, Customer, Order
from customers.selectors import segment_customers
from kernel.tasks import delay_on_commit_gathered

from ..earning import Award, cap_period_start, rule_applies, rule_points
from ..models import EarningRule, LoyaltyAccount, PointsEntry
from .accounts import accounts_locked, opened_entries_forget
from .ledger import Grant, grants_post
from .program import tiers_get
from .rules import earning_rules_active
from .tiers import tiers_promote_locked

Kind = PointsEntry.Kind


@dataclass
class _Item:
    """An order or activity that may earn: its customer, the rules it may earn with, and
    what the entry would record."""

    customer: Customer
    rules: tuple[EarningRule, ...]
    key: str
    when: dt.datetime | None
    cause: dict
    order_total: Decimal | None = None
    held_until: dt.datetime | None = None
    entry: PointsEntry | None = field(default=None, init=False)


def points_award_for_order(*, order: Order) -> PointsEntry | None:
    """Earn points for a paid order with the best applicable order rule, once per order
    (key `order:<source>:<id>:earn`), on its total in the shop's currency (Order.shop_total;
    an order that can't be converted earns nothing). They are held for LOYALTY_HOLD_DAYS
    (the return window) after payment. A paid order earns even when it is already refunded
    or cancelled when it arrives: its refunds and cancellation then take the points back,
    so the ledger is the same whatever order the events came in. Guest orders and orders no
    rule applies to earn nothing."""
    return _orders_earn([order], promote=False)[0]


def paid_order_reward(*, order: Order) -> PointsEntry | None:
    """`paid_orders_reward` for one order."""
    return paid_orders_reward(orders=[order])[0]


def paid_orders_reward(*, orders: list[Order]) -> list[PointsEntry | None]:
    """Everything loyalty does when orders are paid, with each customer's account locked
    once: earn their points (`points_award_for_order`), then move the customers up to the
    tier they now qualify for (`tiers_promote`: the orders count toward the spent and orders
    metrics, and points earned without a hold toward the points metric). Returns each
    order's entry (None when it earned nothing)."""
    return _orders_earn(orders, promote=True)


def _orders_earn(orders: list[Order], *, promote: bool) -> list[PointsEntry | None]:
    """The orders' points; then, with `promote` (or for the accounts whose points are
    available at once, as `points_award` does), the customers' tiers."""
    rules = earning_rules_active(kind=EarningRule.Kind.ORDER)
    days = settings.LOYALTY_HOLD_DAYS
    items = {}
    for index, order in enumerate(orders):
        paid_at = order.paid_at
        earns = paid_at is not None and order.shop_total is not None
        if order.customer_id is None or not ((earns and rules) or (promote and tiers_get())):
            continue
        customer = order.customer
        assert customer is not None  # customer_id is set
        items[index] = _Item(
            customer=customer, rules=rules if earns else (),
            key=f"order:{order.source}:{order.external_id}:earn", when=paid_at,
            cause={"order": order}, order_total=order.shop_total,
            held_until=paid_at + dt.timedelta(days=days)
            if paid_at is not None and earns and days > 0 else None)
    _earn(list(items.values()), promote_all=promote)
    return [items[index].entry if index in items else None for index in range(len(orders))]


def points_award_for_activity(*, activity: Activity) -> PointsEntry | None:
    """`points_award_for_activities` for one activity."""
    return points_award_for_activities(activities=[activity])[0]


def points_award_for_activities(*, activities: list[Activity]) -> list[PointsEntry | None]:
    """Earn the points of the best applicable rule for each activity's kind (account
    created, birthday, quiz completed, NPS answered, referral converted, a custom activity
    the shop posted...), once per activity (key `activity:<id>:earn`). The points are
    available at once. Returns each activity's entry (None when it earned nothing)."""
    items = {}
    rules_by_kind = {}  # read once per kind, also outside a memo scope
    for activity in activities:
        if activity.kind not in rules_by_kind:
            rules_by_kind[activity.kind] = earning_rules_active(kind=EarningRule.Kind.ACTIVITY,
                                                       activity_kind=activity.kind)
        if rules := rules_by_kind[activity.kind]:
            items[activity.pk] = _Item(
                customer=activity.customer, rules=rules, key=f"activity:{activity.pk}:earn",
                when=activity.occurred_at, cause={"activity": activity})
    new = {item.customer.pk for activity in activities
           if activity.kind == Activity.Kind.CUSTOMER_CREATED
           and (item := items.get(activity.pk))}
    _earn(list(items.values()), promote_all=False, likely_new=new)
    return [items[activity.pk].entry if activity.pk in items else None
            for activity in activities]


def _earn(items: list[_Item], *, promote_all: bool, likely_new=()) -> None:
    """Award each item the points of its best rule (setting `item.entry`), on the
    customers' accounts locked together; then promote the accounts (all of them with
    `promote_all`, else those that received available points)."""
    if not items:
        return
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # nothing to undo halfway: no savepoint
        accounts = accounts_locked([item.customer for item in items], likely_new=likely_new)
        earning = [item for item in items if item.rules]
        posted = set(PointsEntry.objects.filter(key__any=[item.key for item in earning])
                     .values_list("key", flat=True)) if earning else set()
        used = _usage(earning, accounts, now)
        outside = _outside_audiences(earning)
        rounds = _rounds(items)
        for number, batch in enumerate(rounds, start=1):
            chosen = []
            for item in batch:
                account = accounts[item.customer.pk]
                if item.key in posted:
                    continue
                award = _best(item, account, used, outside)
                if award is None:
                    continue
                posted.add(item.key)
                used[account.pk, award.rule.pk] += 1
                chosen.append((item, Grant(
                    account=account, points=award.points, key=item.key, kind=Kind.EARN,
                    held_until=item.held_until, rule=award.rule, cause=item.cause)))
            entries = grants_post([grant for _item, grant in chosen])
            for (item, _grant), entry in zip(chosen, entries, strict=True):
                item.entry = entry
            promoted = {accounts[item.customer.pk].pk: accounts[item.customer.pk]
                        for item in batch if promote_all
                        or (item.entry is not None and not item.entry.held)}
            tiers_promote_locked([promoted[pk] for pk in sorted(promoted)], now=now)
            if number < len(rounds):
                # Other services may have posted to these accounts while they moved up.
                opened_entries_forget(accounts[item.customer.pk] for item in batch)
            _email_earned([entry for entry in entries if entry is not None])


def _rounds(items: list[_Item]) -> list[list[_Item]]:
    """The items in rounds where each customer has at most one item, in their order."""
    rounds: list[list[_Item]] = []
    seen: Counter[int] = Counter()
    for item in items:
        number = seen[item.customer.pk]
        seen[item.customer.pk] += 1
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(item)
    return rounds


def _usage(items: list[_Item], accounts: dict[int, LoyaltyAccount],
           now: dt.datetime) -> Counter[tuple[int, int]]:
    """{(account id, rule id): entries the rule posted to the account in its cap period}
    for the capped rules among the items', in one query."""
    used: Counter[tuple[int, int]] = Counter()
    capped = {rule.pk: rule for item in items for rule in item.rules if rule.cap_count}
    account_ids = {accounts[item.customer.pk].pk for item in items
                   if any(rule.pk in capped for rule in item.rules)}
    if not capped or not account_ids:
        return used
    starts = {pk: cap_period_start(rule.cap_period, now) for pk, rule in capped.items()}
    rows = (PointsEntry.objects.filter(account_id__any=account_ids, rule_id__in=capped,
                                       kind=Kind.EARN)
            .values_list("account_id", "rule_id", "created_at"))
    for account_id, rule_id, created_at in rows:
        if starts[rule_id] is None or created_at >= starts[rule_id]:
            used[account_id, rule_id] += 1
    return used


def _outside_audiences(items: list[_Item]) -> set[tuple[int, int]]:
    """{(customer id, rule id)} for the rules whose audience (a customer segment) leaves the
    item's customer out: one query per segment for all the customers."""
    segments = {rule.audience_id: rule.audience for item in items for rule in item.rules
                if rule.audience is not None}
    if not segments:
        return set()
    customer_ids = {item.customer.pk for item in items}
    members = {segment_id: set(segment_customers(segment=segment)
                               .filter(pk__any=customer_ids).values_list("pk", flat=True))
               for segment_id, segment in segments.items()}
    return {(item.customer.pk, rule.pk) for item in items for rule in item.rules
            if rule.audience_id is not None and item.customer.pk not in members[rule.audience_id]}


def _best(item: _Item, account: LoyaltyAccount, used: Counter[tuple[int, int]],
          outside: set[tuple[int, int]]) -> Award | None:
    """The rule that earns the item the most (the oldest on a tie) among those that apply
    to it, with the account's tier, under their caps."""
    if item.when is None:
        return None  # an order not paid has no rules to earn with
    tier = account.tier
    multiplier = tier.earn_multiplier if tier else Decimal("1")
    best = None
    for rule in item.rules:
        if ((rule.cap_count and used[account.pk, rule.pk] >= rule.cap_count)
                or (item.customer.pk, rule.pk) in outside
                or not rule_applies(rule=rule, when=item.when,
                                    tier_id=tier.pk if tier else None,
                                    order_total=item.order_total)):
            continue
        points = rule_points(rule=rule, order_total=item.order_total,
                             tier_multiplier=multiplier)
        if points and (best is None or points > best.points):
            best = Award(rule=rule, points=points)
    return best


def _email_earned(entries: list[PointsEntry]) -> None:
    """Tell the customers what they earned: every award of the transaction (an order's points
    and the welcome points of the same batch, say) goes to one task after commit, which sends
    each customer one e-mail."""
    from ..tasks import points_earned_emails_task

    if entries:
        delay_on_commit_gathered(points_earned_emails_task, [entry.pk for entry in entries])
