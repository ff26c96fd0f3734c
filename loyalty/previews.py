"""What an earning rule change would do: the selector behind the admin's "Preview" button."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from customers.models import Activity, Order

from .earning import rule_applies, rule_points
from .models import EarningRule, LoyaltyAccount, PointsEntry

PREVIEW_ROWS = 50


@dataclass
class PreviewRow:
    label: str
    customer: str
    when: dt.datetime
    total: object
    current: int
    changed: int

    @property
    def difference(self) -> int:
        return self.changed - self.current


@dataclass
class Preview:
    days: int
    since: dt.datetime
    count: int = 0
    current: int = 0
    changed: int = 0
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.changed - self.current

    @property
    def percent(self) -> int | None:
        return round(100 * self.difference / self.current) if self.current else None

    @property
    def bars(self) -> dict[str, int]:
        """Widths (percent of the larger total) of the two bars staff compare."""
        top = max(self.current, self.changed, 1)
        return {"current": round(100 * self.current / top),
                "changed": round(100 * self.changed / top)}


def earning_rule_preview(*, rule: EarningRule, tier_ids: set[int], days: int = 30,
                         now: dt.datetime | None = None) -> Preview:
    """Over the last `days` days: what `rule` (with unsaved changes, and these tiers) would
    have awarded, beside what the saved rule actually awarded, per order (order rules) or per
    activity of its kind (activity rules). The customer's tier today stands in for their tier
    then; caps are not replayed (the comparison shows what each order or activity is worth)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    preview = Preview(days=days, since=since)
    if rule.kind == EarningRule.Kind.ORDER:
        causes = (Order.objects.filter(paid_at__gte=since, paid_at__lte=now,
                                       customer__isnull=False, cancelled_at__isnull=True)
                  .select_related("customer").order_by("-paid_at", "-pk"))
        cause_field, when_of = "order_id", (lambda order: order.paid_at)
    else:
        causes = (Activity.objects.filter(kind=rule.activity_kind, occurred_at__gte=since,
                                          occurred_at__lte=now)
                  .select_related("customer").order_by("-occurred_at", "-pk"))
        cause_field, when_of = "activity_id", (lambda activity: activity.occurred_at)
    causes = list(causes)
    awarded = {}
    if rule.pk:
        awarded = dict(
            PointsEntry.objects.filter(rule_id=rule.pk, kind=PointsEntry.Kind.EARN,
                                       **{f"{cause_field}__in": [c.pk for c in causes]})
            .values_list(cause_field).annotate(points=Sum("amount")))
    tiers, multipliers = {}, {}
    for account in LoyaltyAccount.objects.filter(
            customer_id__in={c.customer_id for c in causes}).select_related("tier"):
        tiers[account.customer_id] = account.tier_id
        multipliers[account.customer_id] = (account.tier.earn_multiplier if account.tier
                                            else Decimal("1"))
    for cause in causes:
        total = getattr(cause, "total", None)
        changed = 0
        if rule_applies(rule=rule, when=when_of(cause), tier_id=tiers.get(cause.customer_id),
                        order_total=total, tier_ids=tier_ids):
            changed = rule_points(rule=rule, order_total=total,
                                  tier_multiplier=multipliers.get(cause.customer_id, Decimal("1")))
        current = awarded.get(cause.pk, 0)
        preview.count += 1
        preview.current += current
        preview.changed += changed
        if len(preview.rows) < PREVIEW_ROWS:
            preview.rows.append(PreviewRow(
                label=getattr(cause, "name", "") or str(cause), customer=str(cause.customer),
                when=when_of(cause), total=total, current=current, changed=changed))
    return preview
