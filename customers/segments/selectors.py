"""Reads for segments: who is in a custom segment, and the numbers the admin page draws."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import (
    Activity,
    Attribute,
    Customer,
    CustomerScore,
    NpsCategory,
    Order,
    RfmSegment,
    Segment,
    SegmentRule,
    Stage,
    ValueModelFit,
)
from kernel.errors import NotFound
from kernel.memo import memoized
from kernel.models import ID_MAX

F = SegmentRule.Field
Op = SegmentRule.Operator
CHOICE_FIELDS: dict[str, type[TextChoices]] = {
    F.STAGE: Stage, F.RFM_SEGMENT: RfmSegment, F.NPS_CATEGORY: NpsCategory}
ORDERED_FIELDS = {F.TOTAL_SPENT, F.ORDERS, F.LAST_ORDER}
YES, NO = {"yes", "true", "1"}, {"no", "false", "0"}


def rule_value_parse(*, field: str, operator: str, value: str):
    """The rule's value as the type its field holds; ValidationError explains a bad one."""
    value = (value or "").strip()
    if operator in (Op.MORE, Op.LESS) and field not in ORDERED_FIELDS:
        raise ValidationError({"operator": _("Only amounts, counts and dates can be compared "
                                             "with more/less than.")})
    if field in CHOICE_FIELDS:
        choices = CHOICE_FIELDS[field]
        if value not in choices.values:
            raise ValidationError({"value": _("Choose one of: %(codes)s.") % {
                "codes": ", ".join(choices.values)}})
        return value
    if field == F.TOTAL_SPENT:
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValidationError({"value": _("Enter an amount, e.g. 100.00.")}) from None
    if field == F.ORDERS:
        if not value.isdigit():
            raise ValidationError({"value": _("Enter a whole number of orders.")})
        return int(value)
    if field == F.LAST_ORDER:
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({"value": _("Enter a date as YYYY-MM-DD.")})
        return parsed
    if field == F.ACCEPTS_MARKETING:
        if value.lower() not in YES | NO:
            raise ValidationError({"value": _("Enter yes or no.")})
        return value.lower() in YES
    if not value:
        raise ValidationError({"value": _("Enter a value.")})
    return value


def _latest_answer_is(key: str, value: str) -> Q:
    newer = Attribute.objects.filter(customer=OuterRef("customer"), key=key).filter(
        Q(captured_at__gt=OuterRef("captured_at"))
        | Q(captured_at=OuterRef("captured_at"), id__gt=OuterRef("id"))
    )
    latest = (Attribute.objects.filter(key=key, value__iexact=value)
              .filter(~Exists(newer)).values("customer_id"))
    return Q(pk__in=latest)


def rule_q(rule: SegmentRule) -> Q:
    """The rule as a filter on Customer."""
    value = rule_value_parse(field=rule.field, operator=rule.operator, value=rule.value)
    if rule.field == F.ATTRIBUTE:
        q = _latest_answer_is(rule.attribute_key, value)
        return ~q if rule.operator == Op.IS_NOT else q
    paths: dict[str, str] = {
        F.STAGE: "score__stage", F.RFM_SEGMENT: "score__rfm_segment", F.TIER: "loyalty_tier",
        F.NPS_CATEGORY: "nps_category", F.TOTAL_SPENT: "total_spent", F.ORDERS: "orders_count",
        F.LAST_ORDER: "last_order_at__date", F.ACCEPTS_MARKETING: "accepts_marketing",
    }
    path = paths[rule.field]
    if rule.operator == Op.MORE:
        return Q(**{f"{path}__gt": value})
    if rule.operator == Op.LESS:
        return Q(**{f"{path}__lt": value})
    q = Q(**{f"{path}__iexact": value}) if rule.field == F.TIER else Q(**{path: value})
    return ~q if rule.operator == Op.IS_NOT else q


def segment_q(segment: Segment) -> Q:
    rules = list(segment.rules.all())
    if not rules:
        return Q()
    combined = rule_q(rules[0])
    for rule in rules[1:]:
        combined = (combined | rule_q(rule)) if segment.match == Segment.Match.ANY else (
            combined & rule_q(rule))
    return combined


def segment_customers(*, segment: Segment) -> QuerySet[Customer]:
    """The customers matching the segment's rules now (erased ones never)."""
    return Customer.objects.filter(erased_at__isnull=True).filter(segment_q(segment))


def segment_count(*, segment: Segment) -> int:
    return segment_customers(segment=segment).count()


def segment_has_member(*, segment: Segment, customer: Customer) -> bool:
    """Whether the customer matches the segment's rules right now (an earning rule's or a
    reward's audience)."""
    return segment_customers(segment=segment).filter(pk=customer.pk).exists()


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.prefetch_related("rules").order_by("name")


def segment_get(*, segment_id: int) -> Segment:
    segment = segment_list().filter(pk=segment_id).first() if 0 < segment_id <= ID_MAX else None
    if segment is None:
        raise NotFound(_("No segment has this id."))
    return segment


def rfm_grid() -> list[dict]:
    """Customers per (recency, frequency) cell, rows R=5..1, with the cell's segment name."""
    from customers.segments.rules import RFM_GRID

    counts = {(row["r_score"], row["f_score"]): row["n"] for row in
              CustomerScore.objects.filter(r_score__isnull=False)
              .values("r_score", "f_score").annotate(n=Count("pk"))}
    most = max(counts.values(), default=0)
    return [
        {"r": r, "cells": [
            {"f": f, "count": counts.get((r, f), 0), "segment": RfmSegment(RFM_GRID[r][f - 1]),
             "share": (counts.get((r, f), 0) / most) if most else 0}
            for f in range(1, 6)
        ]}
        for r in range(5, 0, -1)
    ]


def stage_counts() -> list[dict]:
    counts = dict(CustomerScore.objects.values_list("stage").annotate(n=Count("pk")))
    total = sum(counts.values()) or 1
    return [{"stage": stage, "count": counts.get(stage.value, 0),
             "share": counts.get(stage.value, 0) / total} for stage in Stage]


def stage_flow(*, since: dt.datetime) -> list[dict]:
    """Stage changes since a time, as from -> to with counts, biggest first."""
    rows = (Activity.objects.filter(kind=Activity.Kind.STAGE_CHANGED, occurred_at__gte=since)
            .values_list("data__from", "data__to").annotate(n=Count("id")).order_by("-n"))
    labels = dict(Stage.choices)
    most = max((n for _f, _t, n in rows), default=0)
    return [{"from": labels.get(a, "–") if a else "–", "to": labels.get(b, b), "count": n,
             "share": n / most if most else 0} for a, b, n in rows]


CLV_BUCKETS = (0, 50, 100, 250, 500, 1000, 2500, 5000)


def clv_distribution() -> list[dict]:
    """Customers with orders per predicted-CLV band."""
    buyers = CustomerScore.objects.filter(orders__gt=0)
    rows: list[dict[str, int | float | None]] = []
    for low, high in zip(CLV_BUCKETS, (*CLV_BUCKETS[1:], None), strict=True):
        band = buyers.filter(clv_predicted__gte=low)
        if high is not None:
            band = band.filter(clv_predicted__lt=high)
        rows.append({"low": low, "high": high, "count": band.count()})
    most = max((band_count for r in rows if (band_count := r["count"]) is not None),
               default=0)
    for row in rows:
        row["share"] = (row["count"] or 0) / most if most else 0
    return rows


def winback_rate(*, now: dt.datetime | None = None, window_days: int = 60,
                 lookback_days: int = 365) -> dict:
    """Of the customers who became at risk in the lookback (and whose window has passed or who
    already came back), how many ordered again within `window_days`."""
    now = now or timezone.now()
    became = Activity.objects.filter(
        kind=Activity.Kind.STAGE_CHANGED, data__to=Stage.AT_RISK,
        occurred_at__gte=now - dt.timedelta(days=lookback_days),
    )
    counted = Q(paid_at__isnull=False) & ~Q(status=Order.Status.CANCELLED)
    ordered = Order.objects.filter(counted, customer=OuterRef("customer"),
                                   placed_at__gt=OuterRef("occurred_at"))
    rows = became.annotate(came_back=Exists(ordered.filter(
        placed_at__lte=OuterRef("occurred_at") + dt.timedelta(days=window_days))))
    decided = rows.filter(Q(came_back=True) | Q(occurred_at__lte=now - dt.timedelta(
        days=window_days)))
    total = decided.count()
    back = decided.filter(came_back=True).count()
    sent = Activity.objects.filter(kind=Activity.Kind.WINBACK_SENT,
                                   occurred_at__gte=now - dt.timedelta(days=lookback_days)).count()
    return {"at_risk": total, "won_back": back, "rate": back / total if total else None,
            "offers_sent": sent, "window_days": window_days}


# The value model: what staff and the API are told about it, and each customer's figures.


def value_model_latest() -> ValueModelFit | None:
    """The model fitted at the latest recompute, or why there was none (None: never run);
    read once per memo scope (a batch of orders)."""
    return memoized("segments:value_model",
                    lambda: ValueModelFit.objects.order_by("-as_of", "-id").first())


SHORTFALL_MESSAGES = {
    "few_buyers": gettext_lazy("Too little history: %(have)d customers have ordered; the "
                               "model needs %(need)d."),
    "few_repeat_buyers": gettext_lazy("Too little history: %(have)d customers have ordered "
                                      "more than once; the model needs %(need)d."),
    "short_history": gettext_lazy("Too little history: the orders go back %(have)d days; the "
                                  "model needs %(need)d."),
}


def shortfall_message(shortfall: dict) -> str:
    return str(SHORTFALL_MESSAGES[shortfall["reason"]]) % shortfall


def value_model_message(fit: ValueModelFit | None) -> str:
    """Why the rules predict instead of the model, for staff and the API; empty when the
    model predicts."""
    if fit is None:
        return _("Nothing computed yet: the value model is fitted at the next recompute.")
    status = ValueModelFit.Status
    if fit.status == status.FITTED:
        return ""
    if fit.status == status.OFF:
        return _("The value model is turned off in segment settings: the rules predict.")
    if fit.status == status.FAILED:
        return _("The value model could not be fitted to these orders (%(error)s): the rules "
                 "predict.") % {"error": fit.detail.get("error", "")}
    return _("%(shortfall)s Until then, the rules predict.") % {
        "shortfall": shortfall_message(fit.detail)}


def score_summary(*, score: CustomerScore | None, fit: ValueModelFit | None) -> dict | None:
    """A customer's stage, RFM scores and value as the API, the export and the
    `customer.stage_changed` webhook show them (None: never scored)."""
    if score is None:
        return None
    model = score.expected_orders_365d is not None
    predicted_by = "model" if model else ("rules" if score.orders else None)

    def money(value):
        return None if value is None else str(value)

    return {
        "stage": score.stage, "stage_since": score.stage_since,
        "rfm": {"recency": score.r_score, "frequency": score.f_score,
                "monetary": score.m_score, "segment": score.rfm_segment},
        "orders": score.orders, "clv_historical": money(score.net_revenue),
        "p_alive": score.p_alive, "expected_orders_90d": score.expected_orders_90d,
        "expected_orders_365d": score.expected_orders_365d,
        "expected_order_value": money(score.expected_order_value),
        "clv_predicted": money(score.clv_predicted), "currency": settings.SHOP_CURRENCY,
        "predicted_by": predicted_by,
        "model_note": value_model_message(fit) if predicted_by == "rules" else "",
        "computed_at": score.as_of,
    }


def customer_score_get(*, customer: Customer) -> dict | None:
    """`score_summary` for one customer, read fresh from the database."""
    return score_summary(score=CustomerScore.objects.filter(customer=customer).first(),
                         fit=value_model_latest())


BASELINES = (("model", gettext_lazy("Value model")),
             ("same_for_everyone", gettext_lazy("Same for everyone")),
             ("run_rate", gettext_lazy("Run rate (the rules)")))


def value_model_overview(*, fit: ValueModelFit | None) -> dict:
    """The value model and its backtest as the segments overview shows them: parameters,
    errors beside the baselines', and predicted against real orders by group."""
    overview: dict[str, object] = {"fit": fit, "message": value_model_message(fit),
                                   "backtest": None, "backtest_message": ""}
    backtest = fit.backtest if fit else {}
    if "shortfall" in backtest:
        overview["backtest_message"] = _("No backtest: %(shortfall)s") % {
            "shortfall": shortfall_message(backtest["shortfall"])}
    elif "error" in backtest:
        overview["backtest_message"] = _("No backtest: the model could not be fitted to the "
                                         "earlier orders (%(error)s).") % backtest
    elif backtest:
        mae, total = backtest["mae"], backtest["total"]
        overview["backtest"] = {
            **backtest, "weeks": round(backtest["days"] / 7),
            "rows": [{"key": key, "label": label, "orders": mae["orders"][key],
                      "spend": mae["spend"][key], "total_orders": total["orders"][key],
                      "total_spend": total["spend"][key],
                      "best": key == min(mae["spend"], key=mae["spend"].get)}
                     for key, label in BASELINES],
            "actual_orders": total["orders"]["actual"],
            "actual_spend": total["spend"]["actual"],
        }
    return overview
