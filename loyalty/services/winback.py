"""Win-back: a customer who becomes at risk gets the program's win-back voucher as a gift."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from customers.models import Activity, Customer, Stage
from customers.services import activity_record_many
from customers.signals import StageChange

from ..models import Redemption
from .program import program_get
from .rewards import vouchers_grant


def winback_offer(*, customer: Customer, now: dt.datetime | None = None) -> Redemption | None:
    """`winback_offers` for one customer: their offer, or None."""
    return next(iter(winback_offers(customers=[customer], now=now)), None)


def winback_offers(*, customers: list[Customer], now: dt.datetime | None = None
                   ) -> list[Redemption]:
    """Give at-risk customers the win-back reward (LoyaltyProgram.winback_reward) as a gift
    and email it, once per `winback_every_days`. Nothing is sent when no reward is set, to a
    customer who doesn't accept marketing or was erased, or who had an offer within the
    period, or once the reward's stock is gone. Each offer is on the timeline
    (`winback_sent`), keyed by customer and day. In a fixed number of statements for the
    batch (one look for recent offers, the vouchers together, the timeline rows together).
    The offers given."""
    now = now or timezone.now()
    program = program_get()
    reward = program.winback_reward
    wanted = {c.pk: c for c in customers if c.accepts_marketing and not c.erased_at}
    if reward is None or not wanted:
        return []
    since = now - dt.timedelta(days=program.winback_every_days)
    offered = set(Activity.objects.filter(
        customer__in=wanted, kind=Activity.Kind.WINBACK_SENT, occurred_at__gt=since,
    ).values_list("customer_id", flat=True))
    grants = [(customer, f"winback:{customer.pk}:{now.date().isoformat()}")
              for pk, customer in wanted.items() if pk not in offered]
    from loyalty.tasks import winback_email_task

    with transaction.atomic():
        vouchers = vouchers_grant(reward=reward, grants=grants, now=now, notify=False)
        given = [(customer, key, redemption) for (customer, key), redemption
                 in zip(grants, vouchers, strict=True) if redemption is not None]
        activity_record_many(rows=[{
            "customer": customer, "kind": Activity.Kind.WINBACK_SENT, "occurred_at": now,
            "key": key, "reference": redemption.code,
            "data": {"reward": reward.name, "code": redemption.code,
                     "expires_at": redemption.expires_at.isoformat()},
        } for customer, key, redemption in given])
        for _customer, _key, redemption in given:
            winback_email_task.delay_on_commit(redemption.pk)
    return [redemption for _customer, _key, redemption in given]


def winback_for_stage_changes(*, changes: list[StageChange], now: dt.datetime | None = None
                              ) -> list[Redemption]:
    """The loyalty side of `customers_stage_changed`: the customers who became at risk get an
    offer (`winback_offers`, together). The offers given."""
    return winback_offers(customers=[change.customer for change in changes
                                     if change.to_stage == Stage.AT_RISK], now=now)
