"""Writes for segments: the set-based recompute, customers' stages as their orders arrive,
and custom segments' memberships (which announce `customer.segment_entered`).

The rules themselves live in customers/segments/rules.py.
"""

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from customers.models import (
    Activity,
    Customer,
    CustomerScore,
    Order,
    OutboundEvent,
    Segment,
    SegmentMembership,
    SegmentSettings,
    ValueModelFit,
)
from customers.segments.rules import (
    COUNTED,
    DAY,
    ORDER_NET,
    RFM_GRID,
    clv,
    expected_gap_seconds,
    median,
    stage_for,
)
from customers.services.activities import activities_announce, activity_record_many
from customers.signals import StageChange, customers_stage_changed
from kernel.bulk import objs_upsert

from .value import VALUE_COLUMNS, customers_value_predict, value_model_fit

CHUNK = 2000
WORK_MEM = "256MB"


@dataclass
class RecomputeResult:
    as_of: dt.datetime
    customers: int
    stage_changes: int
    announced: int
    segment_entries: int
    value_model: ValueModelFit


@overload
def _epoch(value: dt.datetime) -> int: ...
@overload
def _epoch(value: dt.datetime | None) -> int | None: ...
def _epoch(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def stage_key(customer_id: int, stage: str, at: dt.datetime) -> str:
    """The timeline key of a stage change, so a rerun at the same time records nothing new."""
    return f"stage:{customer_id}:{stage}:{at.isoformat()}"


# Customers whose orders just arrived.

REFRESHED = ("stage", "stage_since", "stage_orders", "as_of", "orders", "net_revenue",
             "first_order_at", "last_order_at", "recency_days", "median_gap_days",
             "expected_gap_days", "average_order_value", "orders_per_year", "clv_predicted",
             "p_alive", "expected_orders_90d", "expected_orders_365d", "expected_order_value")
NO_PREDICTION = {"p_alive": None, "expected_orders_90d": None, "expected_orders_365d": None,
                 "expected_order_value": None}


def _score_refresh(score: CustomerScore, *, rows: list[tuple], tier: str, now: dt.datetime,
                   settings: SegmentSettings, predicted: dict | None) -> str:
    """Set the score's stage and CLV from the customer's counted orders (placed_at, net in the
    shop currency, oldest first) and the value model's predictions for them (None: the rules
    predict); returns the stage it had before ("" for a new score)."""
    times = [_epoch(placed) for placed, _net in rows]
    net = sum((value for _p, value in rows), Decimal("0"))
    gap = median([b - a for a, b in itertools.pairwise(times)])
    as_of_t = _epoch(now)
    predicted = predicted or NO_PREDICTION
    previous = score.stage
    stage = stage_for(
        orders=len(rows), last_t=times[-1] if times else None, median_gap=gap, tier=tier,
        prev_stage=previous, prev_since_t=_epoch(score.stage_since),
        prev_orders=score.stage_orders, as_of_t=as_of_t, settings=settings,
        p_alive=predicted["p_alive"],
    )
    if previous != stage:
        score.stage, score.stage_since, score.stage_orders = stage, now, len(rows)
    score.as_of = now
    score.orders, score.net_revenue = len(rows), net
    score.first_order_at = rows[0][0] if rows else None
    score.last_order_at = rows[-1][0] if rows else None
    score.recency_days = (as_of_t - times[-1]) // DAY if times else None
    score.median_gap_days = gap / DAY if gap is not None else None
    score.expected_gap_days = expected_gap_seconds(
        orders=len(rows), median_gap=gap, settings=settings) / DAY if rows else None
    score.average_order_value, score.orders_per_year, score.clv_predicted = clv(
        orders=len(rows), net=net, first_t=times[0] if times else None, as_of_t=as_of_t,
        settings=settings)
    for name, value in predicted.items():
        setattr(score, name, value)
    return previous


def customers_stage_refresh(*, customers: list[Customer], now: dt.datetime | None = None
                            ) -> dict[int, CustomerScore]:
    """Recompute these customers' stages and CLV from their orders with the same rules as the
    nightly recompute, and the value model it last fitted (RFM scores, being quintiles of
    everybody, wait for the recompute), in a fixed number of statements however many
    customers there are. A change of stage goes on the timeline (`stage_changed`, data
    from/to) and `customers_stage_changed` is sent once for the batch's changes, which the
    loyalty app answers with win-back offers. Returns the scores by customer id."""
    by_id = {customer.pk: customer for customer in customers}
    ids = sorted(by_id)
    if not ids:
        return {}
    now = now or timezone.now()
    settings = SegmentSettings.cached()
    with transaction.atomic():
        # One refresh per customer at a time, locks taken in id order so two batches never
        # deadlock. NO KEY UPDATE, as ingestion's own UPDATE takes: it lets the recompute's
        # foreign-key checks (KEY SHARE) through, so no deadlock with it either.
        tiers = dict(Customer.objects.select_for_update(no_key=True).filter(pk__any=ids)
                     .order_by("pk").values_list("pk", "loyalty_tier"))
        orders = (_counted_orders(as_of=now).filter(customer_id__any=ids)
                  .order_by("customer_id", "placed_at", "id")
                  .values_list("customer_id", "placed_at", "net"))
        rows = {customer_id: [row[1:] for row in group]
                for customer_id, group in itertools.groupby(orders, key=lambda row: row[0])}
        buyers = sorted(rows)
        predictions = customers_value_predict(histories=[
            (len(rows[c]), _epoch(rows[c][0][0]), _epoch(rows[c][-1][0]),
             sum((net for _p, net in rows[c][1:]), Decimal("0"))) for c in buyers
        ], as_of_t=_epoch(now), settings=settings)
        predicted = dict(zip(buyers, predictions, strict=True)) if predictions else {}
        found = CustomerScore.objects.select_for_update().order_by("pk").in_bulk(ids)
        scores, changes = {}, []
        for customer_id in ids:
            score = scores[customer_id] = found.get(customer_id) or CustomerScore()
            score.customer = by_id[customer_id]
            previous = _score_refresh(score, rows=rows.get(customer_id, []),
                                      tier=tiers.get(customer_id) or "", now=now,
                                      settings=settings, predicted=predicted.get(customer_id))
            if previous != score.stage:
                changes.append((by_id[customer_id], previous, score.stage))
        # New and existing scores in one statement; RFM scores are the recompute's.
        objs_upsert(list(scores.values()), unique=("customer",), update=REFRESHED)
        activity_record_many(rows=[
            {"customer": customer, "customer_id": customer.pk,
             "kind": Activity.Kind.STAGE_CHANGED, "occurred_at": now,
             "key": stage_key(customer.pk, stage, now), "data": {"from": previous, "to": stage}}
            for customer, previous, stage in changes
        ])
        if changes:
            customers_stage_changed.send(sender=Customer, at=now, changes=[
                StageChange(customer, previous, stage) for customer, previous, stage in changes])
    return scores


def customer_stage_refresh(*, customer: Customer, now: dt.datetime | None = None
                           ) -> CustomerScore:
    """One customer's stage and CLV as their order arrives: `customers_stage_refresh` for
    them alone, so the rules live in one place."""
    return customers_stage_refresh(customers=[customer], now=now)[customer.pk]


# Everybody, set-based.


def _rfm_case() -> str:
    branches = " ".join(
        f"WHEN {r * 10 + f} THEN '{segment}'"
        for r, row in RFM_GRID.items() for f, segment in enumerate(row, start=1)
    )
    return f"CASE r * 10 + f {branches} ELSE '' END"


def _dialect(vendor: str) -> dict[str, str]:
    if vendor == "postgresql":
        return {"epoch": "FLOOR(date_part('epoch', {}))::bigint", "greatest": "GREATEST",
                "least": "LEAST", "json": "jsonb_build_object",
                "cents": "CAST({} AS numeric) / 100"}
    return {"epoch": "CAST(strftime('%%s', {}) AS INTEGER)", "greatest": "MAX", "least": "MIN",
            "json": "json_object", "cents": "{} / 100.0"}


def _quintile(d: dict, order: str) -> str:
    """The 1-5 score of rules.py: ties share a score (RANK), 5 for the top fifth."""
    return (f"{d['least']}(5, 1 + 5 * (RANK() OVER (ORDER BY {order}) - 1) / "
            f"{d['greatest']}(COUNT(*) OVER () - 1, 1))")


def _stats_sql(vendor: str, counted: str, *, as_of_t: int, calibration_end_t: int) -> str:
    """segments_stats: per customer with counted orders, their count, net, first and last
    order, median gap, RFM scores, the net of the first order, and the same up to the
    backtest's calibration end (`cal_`). `counted` is the ORM's query of counted orders."""
    d = _dialect(vendor)
    cal, now = int(calibration_end_t), int(as_of_t)
    sums = f"""COUNT(*) AS n, SUM(net) AS net, MIN(placed_at) AS first_at,
         MAX(placed_at) AS last_at, MIN(t) AS first_t, MAX(t) AS last_t,
         SUM(CASE WHEN gap IS NULL THEN net ELSE 0 END) AS first_net,
         SUM(CASE WHEN t <= {cal} THEN 1 ELSE 0 END) AS cal_n,
         COALESCE(MAX(CASE WHEN t <= {cal} THEN t END), 0) AS cal_last_t,
         SUM(CASE WHEN t <= {cal} THEN net ELSE 0 END) AS cal_net,
         {_quintile(d, f"({now} - MAX(t)) / 86400 DESC")} AS r,
         {_quintile(d, "COUNT(*)")} AS f, {_quintile(d, "SUM(net)")} AS m"""
    if vendor == "postgresql":
        # One pass: the gaps come sorted by customer, and the median is an ordered-set
        # aggregate (which skips the first order's NULL gap).
        stats = f"""
SELECT customer_id, {sums},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
FROM gaps GROUP BY customer_id"""
    else:  # SQLite: no percentile_cont, so the middle row(s) by ROW_NUMBER
        stats = f"""
SELECT g.customer_id, {sums}, MAX(md.median_gap) AS median_gap
FROM gaps g LEFT JOIN (
  SELECT customer_id, AVG(gap) AS median_gap FROM (
    SELECT customer_id, gap,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY gap) AS rn,
           COUNT(*) OVER (PARTITION BY customer_id) AS cnt
    FROM gaps WHERE gap IS NOT NULL) ranked
  WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY customer_id
) md ON md.customer_id = g.customer_id
GROUP BY g.customer_id"""
    return f"""
CREATE TEMP TABLE segments_stats AS
WITH counted AS (
  SELECT customer_id, id, placed_at, net, {d["epoch"].format("placed_at")} AS t
  FROM ({counted}) orders
),
gaps AS (
  SELECT customer_id, placed_at, t, net,
         t - LAG(t) OVER (PARTITION BY customer_id ORDER BY placed_at, id) AS gap
  FROM counted
)
{stats}
"""


def _sql(vendor: str, vip_tiers: list[str]) -> dict[str, str]:
    d = _dialect(vendor)
    greatest = d["greatest"]
    vip = " OR ".join(f"tier = %(vip{i})s" for i in range(len(vip_tiers))) or "1 = 0"
    staging = f"""
CREATE TEMP TABLE segments_staging AS
WITH measured AS (
  SELECT c.id AS customer_id, COALESCE(s.n, 0) AS n, COALESCE(s.net, 0) AS net,
         s.first_at, s.last_at, s.first_t, s.last_t, s.median_gap, c.loyalty_tier AS tier,
         p.stage AS prev_stage, p.stage_since AS prev_since, p.stage_orders AS prev_orders,
         s.r, s.f, s.m, %(as_of_t)s - s.last_t AS recency_s,
         CASE WHEN s.n >= 2 THEN {greatest}(%(min_gap_s)s, 2 * s.median_gap)
              WHEN s.n = 1 THEN %(at_risk_s)s END AS expected_s,
         NULLIF(v.p_alive, 'NaN') AS p_alive, NULLIF(v.orders_90, 'NaN') AS orders_90,
         NULLIF(v.orders_365, 'NaN') AS orders_365,
         NULLIF(v.order_value_cents, 'NaN') AS order_value_cents,
         NULLIF(v.clv_cents, 'NaN') AS clv_cents
  FROM customers_customer c
  LEFT JOIN segments_stats s ON s.customer_id = c.id
  LEFT JOIN segments_value v ON v.customer_id = c.id
  LEFT JOIN customers_customerscore p ON p.customer_id = c.id
  WHERE c.erased_at IS NULL
)
SELECT measured.*,
  CASE
    WHEN n = 0 THEN 'prospect'
    WHEN p_alive < %(lapsed_p)s THEN 'lapsed'
    WHEN p_alive < %(at_risk_p)s THEN 'at_risk'
    WHEN p_alive IS NULL AND recency_s > {greatest}(%(lapsed_s)s, expected_s) THEN 'lapsed'
    WHEN p_alive IS NULL AND recency_s > expected_s THEN 'at_risk'
    WHEN (prev_stage IN ('at_risk', 'lapsed') AND last_t >= {d["epoch"].format("prev_since")})
      OR (prev_stage = 'won_back' AND n = prev_orders) THEN 'won_back'
    WHEN n >= %(loyal_orders)s OR {vip} THEN 'loyal'
    WHEN n >= 2 THEN 'repeat'
    ELSE 'first_time'
  END AS stage,
  {_rfm_case()} AS rfm_segment,
  {greatest}(365, (%(as_of_t)s - first_t) / 86400) AS tenure_days
FROM measured
"""
    activities = f"""
INSERT INTO customers_activity (customer_id, kind, occurred_at, reference, data, key)
SELECT customer_id, 'stage_changed', %(as_of)s, '',
       {d["json"]}('from', COALESCE(prev_stage, ''), 'to', stage),
       'stage:' || customer_id || ':' || stage || ':' || %(as_of_iso)s
FROM segments_staging WHERE prev_stage IS NULL OR prev_stage <> stage
ON CONFLICT DO NOTHING
"""
    # Every score is rewritten from the staging table (which kept the previous stage): one
    # UPDATE for the customers scored before, one INSERT for the new ones and one DELETE for
    # those erased since (who are left out of the staging table). Emptying the table and
    # inserting everybody again costs twice as much: each inserted row's foreign key is
    # checked, locking its customer, at commit. (The table's pages are kept half empty so
    # the UPDATE writes each new row version beside the old, without touching the index.)
    values = {
        "stage": "stage",
        "stage_since": "CASE WHEN prev_stage = stage THEN prev_since ELSE %(as_of)s END",
        "stage_orders": "CASE WHEN prev_stage = stage THEN prev_orders ELSE n END",
        "as_of": "%(as_of)s", "orders": "n", "net_revenue": "net", "first_order_at": "first_at",
        "last_order_at": "last_at", "recency_days": "recency_s / 86400",
        "median_gap_days": "median_gap / 86400.0", "expected_gap_days": "expected_s / 86400.0",
        "r_score": "r", "f_score": "f", "m_score": "m", "rfm_segment": "rfm_segment",
        "average_order_value": "CASE WHEN n > 0 THEN ROUND(net * 1.0 / n, 2) ELSE 0 END",
        "orders_per_year": "CASE WHEN n > 0 THEN n * 365.0 / tenure_days ELSE 0 END",
        "clv_predicted": f"CASE WHEN clv_cents IS NOT NULL THEN {d['cents'].format('clv_cents')}"
                         " WHEN n > 0 THEN ROUND(net * 365 * 1.0 * %(horizon)s / tenure_days, 2)"
                         " ELSE 0 END",
        "p_alive": "p_alive", "expected_orders_90d": "orders_90",
        "expected_orders_365d": "orders_365",
        "expected_order_value": d["cents"].format("order_value_cents"),
    }
    update = f"""
UPDATE customers_customerscore SET {", ".join(f"{column} = g.{column}" for column in values)}
FROM (SELECT customer_id, {", ".join(f"{sql} AS {column}" for column, sql in values.items())}
      FROM segments_staging WHERE prev_stage IS NOT NULL) g
WHERE customers_customerscore.customer_id = g.customer_id
"""
    insert = f"""
INSERT INTO customers_customerscore (customer_id, {", ".join(values)})
SELECT customer_id, {", ".join(values.values())} FROM segments_staging WHERE prev_stage IS NULL
"""
    delete = """
DELETE FROM customers_customerscore WHERE customer_id IN (
  SELECT id FROM customers_customer WHERE erased_at IS NOT NULL)
"""
    return {"staging": staging, "activities": activities, "update": update, "insert": insert,
            "delete": delete}


def _counted_orders(*, as_of: dt.datetime) -> QuerySet:
    """The orders stages, RFM and CLV count, as of a time: (customer_id, id, placed_at, net)
    rows."""
    return (Order.objects.filter(COUNTED, customer__isnull=False, placed_at__lte=as_of)
            .annotate(net=ORDER_NET).order_by().values("customer_id", "id", "placed_at", "net"))


def segments_recompute(*, as_of: dt.datetime | None = None, announce: bool = True
                       ) -> RecomputeResult:
    """Recompute every customer's stage, RFM scores and CLV in a few set-based statements
    (window functions; PostgreSQL and SQLite each get their dialect), fit the value model to
    everybody's orders (`value_model_fit`, which scores everyone with it), then custom
    segments' memberships. The same `as_of` on the same data gives the same result.

    Every change of stage goes on the timeline (`stage_changed`, key from customer, stage and
    as_of, so a rerun adds nothing). Changes from an earlier stage are announced like a live
    one (`activities_recorded`, `customers_stage_changed`: webhooks, win-back); a customer's
    first classification describes history and is recorded only.
    """
    as_of = as_of or timezone.now()
    settings = SegmentSettings.get()
    vip = settings.vip_tier_names
    vendor = connection.vendor
    sql = _sql(vendor, vip)
    as_of_t = _epoch(as_of)
    calibration_end_t = as_of_t - settings.backtest_weeks * 7 * DAY
    # Everybody's but the erased customers' (NOT IN the few of them: cheaper than joining
    # every order to its customer).
    erased = Customer.objects.filter(erased_at__isnull=False).values("pk")
    counted, counted_params = (_counted_orders(as_of=as_of).exclude(customer__in=erased)
                               .query.sql_with_params())
    params = {
        "as_of": connection.ops.adapt_datetimefield_value(as_of), "as_of_t": as_of_t,
        "as_of_iso": as_of.isoformat(), "min_gap_s": settings.min_expected_gap_days * DAY,
        "at_risk_s": settings.at_risk_days * DAY, "lapsed_s": settings.lapsed_days * DAY,
        "loyal_orders": settings.loyal_orders, "horizon": settings.clv_horizon_years,
        "lapsed_p": settings.lapsed_below_p_alive / 100,
        "at_risk_p": settings.at_risk_below_p_alive / 100,
        **{f"vip{i}": name for i, name in enumerate(vip)},
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":  # sorts of millions of rows stay in memory
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # An order's refresh waits for the recompute instead of being overwritten by it.
            cursor.execute("LOCK TABLE customers_customerscore IN EXCLUSIVE MODE")
        for table in ("segments_stats", "segments_value", "segments_staging"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(_stats_sql(vendor, counted, as_of_t=as_of_t,
                                  calibration_end_t=calibration_end_t), counted_params)
        cursor.execute(f"CREATE TEMP TABLE segments_value ({VALUE_COLUMNS})")
        fit = value_model_fit(as_of=as_of, settings=settings,
                              calibration_end_t=calibration_end_t)
        cursor.execute(sql["staging"], params)
        cursor.execute("SELECT COUNT(*) FROM segments_staging")
        customers = cursor.fetchone()[0]
        cursor.execute(sql["activities"], params)
        cursor.execute("SELECT customer_id, prev_stage, stage FROM segments_staging "
                       "WHERE prev_stage IS NOT NULL AND prev_stage <> stage ORDER BY customer_id")
        changes = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM segments_staging "
                       "WHERE prev_stage IS NULL OR prev_stage <> stage")
        stage_changes = cursor.fetchone()[0]
        for statement in ("update", "insert", "delete"):
            cursor.execute(sql[statement], params)
        for table in ("segments_stats", "segments_value", "segments_staging"):
            cursor.execute(f"DROP TABLE {table}")
        if announce:
            _announce_changes(changes, as_of)
        entries = sum(segment_membership_refresh(segment=segment, at=as_of)
                      for segment in Segment.objects.all())
    return RecomputeResult(as_of=as_of, customers=customers, stage_changes=stage_changes,
                           announced=len(changes) if announce else 0, segment_entries=entries,
                           value_model=fit)


def _announce_changes(changes: list[tuple[int, str, str]], as_of: dt.datetime) -> None:
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        customers = Customer.objects.in_bulk([c for c, _f, _t in chunk])
        keys = {stage_key(c, to, as_of): (c, was, to) for c, was, to in chunk}
        activities = list(Activity.objects.filter(key__any=keys).order_by("customer_id"))
        for activity in activities:
            activity.customer = customers[activity.customer_id]
        # Rows inserted set-based: tell the timeline's listeners as activity_record would.
        activities_announce(activities)
        if activities:
            recorded = {activity.key for activity in activities}
            customers_stage_changed.send(sender=Customer, at=as_of, changes=[
                StageChange(customers[customer_id], was, to)
                for key, (customer_id, was, to) in keys.items() if key in recorded])


# Custom segments.


def segment_membership_refresh(*, segment: Segment, at: dt.datetime | None = None) -> int:
    """Bring the segment's members up to date with its rules: newcomers get a membership row
    (and `customer.segment_entered` goes to the subscribed webhooks), leavers lose theirs.
    Returns how many entered."""
    from customers.segments.selectors import segment_customers
    from customers.segments.services.webhooks import outbound_enqueue

    at = at or timezone.now()
    members = segment_customers(segment=segment)
    with transaction.atomic():
        SegmentMembership.objects.filter(segment=segment).exclude(
            customer_id__in=members.values("pk")).delete()
        newcomers = members.exclude(
            pk__in=SegmentMembership.objects.filter(segment=segment).values("customer_id")
        ).values(member_id=F("pk"))
        query, params = newcomers.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_segmentmembership (segment_id, customer_id, entered_at) "
                f"SELECT %s, newcomer.member_id, %s FROM ({query}) newcomer",
                [segment.pk, connection.ops.adapt_datetimefield_value(at), *params],
            )
            entered = cursor.rowcount
        if entered:
            rows = (SegmentMembership.objects.filter(segment=segment, entered_at=at)
                    .select_related("customer").iterator(chunk_size=CHUNK))
            for membership in rows:
                outbound_enqueue(
                    event=OutboundEvent.SEGMENT_ENTERED, customer=membership.customer,
                    key=f"segment:{segment.pk}:{membership.customer_id}:{at.isoformat()}",
                    data={"segment": {"id": segment.pk, "name": segment.name}},
                    occurred_at=at,
                )
    return entered

