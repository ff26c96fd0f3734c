"""What a shop ends up with after a run of deliveries, in a form two runs can be compared by.

Two runs of the same deliveries (in order, shuffled, twice) must end the same. What "the same"
compares, and what it leaves out on purpose:

- customers, by every email they are known by (their own and the others: a registered
  WooCommerce customer's own email is the billing email of the first order received, since
  WooCommerce sends no account email with orders; which one that is may depend on arrival,
  the set does not): names, consent answer, order statistics, stage, tier, RFM inputs
  (orders, net revenue); not row ids, nor when a row was written.
- orders, by (source, external id): every field the platforms' events decide (status, money
  in the order's and the shop's currency, dates at the source, codes, lines, refunds by id).
- the ledger, per customer: balance, pending, and every entry as (key, kind, points). Keys
  that carry a row id of ours (an activity's, an account's) have the id replaced by `*`. The
  time an entry was written and whether it was posted as held are left out: they record when
  the worker happened to see the event, not what happened to the order.
- the timeline, per customer: every row caused by an order (paid, each refund, cancelled) and
  the customer's own (created, consent), by (kind, key). Rows that record an intermediate state
  as it was observed (stage and tier changes) are compared by where they end (the customer's
  stage and tier above), since a different arrival order observes different intermediate states.
"""

import re

from customers.models import Activity, Customer, Order
from loyalty.models import LoyaltyAccount

OWN_ID = re.compile(r"\b(activity|entry|customer|tier_change|lot|redemption):\d+")
OBSERVED = {Activity.Kind.STAGE_CHANGED, Activity.Kind.TIER_CHANGED}


def _key(key: str | None) -> str:
    return OWN_ID.sub(r"\1:*", key or "")


def who(customer: Customer | None) -> str | None:
    """A customer by every email they are known by."""
    if customer is None:
        return None
    return " ".join(sorted({customer.email, *customer.known_emails.values_list("email",
                                                                               flat=True)}))


def shop_outcome() -> dict:
    customers = {}
    for c in Customer.objects.select_related("score").order_by("email"):
        score = getattr(c, "score", None)
        customers[who(c)] = {
            "name": (c.first_name, c.last_name),
            "accepts_marketing": c.accepts_marketing,
            "consent_recorded": c.marketing_consent_at is not None,
            "stats": (c.orders_count, c.total_spent, c.first_order_at, c.last_order_at),
            "score": (score.stage, score.orders, score.net_revenue) if score else None,
            "tier": c.loyalty_tier,
            "timeline": sorted((a.kind, _key(a.key)) for a in c.activities.all()
                               if a.kind not in OBSERVED),
        }
    orders = {}
    for o in Order.objects.select_related("customer").order_by("source", "external_id"):
        orders[o.source, o.external_id] = {
            "customer": who(o.customer),
            "fields": (o.name, o.status, o.currency, o.total, o.discount_total, o.refunded_total,
                       o.shop_total, o.shop_net, o.discount_codes, o.referral_code, o.placed_at,
                       o.paid_at, o.cancelled_at, o.source_updated_at),
            "lines": [(li.sku, li.name, li.quantity, li.unit_price) for li in o.lines.all()],
            "refunds": sorted((r.external_id, r.amount) for r in o.refunds.all()),
        }
    ledger = {}
    for account in LoyaltyAccount.objects.select_related("customer"):
        ledger[who(account.customer)] = {
            "balance": account.balance, "pending": account.pending,
            "entries": sorted((_key(e.key), e.kind, e.amount) for e in account.entries.all()),
        }
    return {"customers": customers, "orders": orders, "ledger": ledger}


def points_of(outcome: dict, emails: str) -> int:
    """Available plus pending points of one customer (by `who`)."""
    account = outcome["ledger"].get(emails, {"balance": 0, "pending": 0})
    return account["balance"] + account["pending"]
