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
kind for the whole batch. Choosing and posting the awards is services/earning.py's, a batch at
a time; the arithmetic is loyalty/earning.py.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from customers.models import Customer
from kernel.errors import FlywheelError
from kernel.memo import memoized

from ..models import EarningRule, PointsEntry, Tier

Kind = PointsEntry.Kind

# The rule's wording per language (modeltranslation's columns `name_en`, `name_tr`...; `name`
# itself reads and writes the active language's). A changed wording is a change of the rule.
WORDING_FIELDS = tuple(build_localized_fieldname("name", code)
                       for code, _language in settings.LANGUAGES)
DEFAULT_WORDING = build_localized_fieldname("name", settings.MODELTRANSLATION_DEFAULT_LANGUAGE)
RULE_FIELDS = ("name", "activity_kind", "points", "points_per_unit", "multiplier", "starts_at",
               "ends_at", "min_order_total", "cap_count", "cap_period", "is_active", "audience")


def earning_rules_active(**filters) -> tuple[EarningRule, ...]:
    """The active rules whose fields equal `filters` (kind, activity_kind), with their tiers
    and their audience's segment rules. Every order and activity asks, so all active rules
    are read once per memo scope (a batch of deliveries) and each question is answered from
    them; the instances are shared, and nothing changes them."""
    rules = memoized("loyalty.earning_rules", lambda: tuple(
        EarningRule.objects.filter(is_active=True)
        .select_related("audience")
        .prefetch_related(Prefetch("tiers", queryset=Tier.objects.only("pk")), "audience__rules")
        .order_by("pk")))
    return tuple(rule for rule in rules
                 if all(getattr(rule, name) == value for name, value in filters.items()))


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
    unknown = set(fields) - {*RULE_FIELDS, *WORDING_FIELDS, "kind"}
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
    unknown = set(changes) - {*RULE_FIELDS, *WORDING_FIELDS}
    if unknown:
        raise TypeError(f"unknown earning rule fields: {sorted(unknown)}")
    with transaction.atomic():
        rule = EarningRule.objects.select_for_update().get(pk=rule.pk)
        changed = False
        for field, value in changes.items():
            if value is None and field in ("name", DEFAULT_WORDING, "points_per_unit",
                                           "is_active", "points", "multiplier", "cap_period",
                                           "activity_kind"):
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

