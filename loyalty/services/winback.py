"""Win-back: a customer who becomes at risk gets the program's win-back voucher as a gift."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from customers.models import Activity, Customer, Stage
from customers.services import activity_record
from customers.signals import StageChange

from ..models import Redemption
from .program import program_get
from .rewards import voucher_grant


def winback_offer(*, customer: Customer, now: dt.datetime | None = None) -> Redemption | None:
    """Give an at-risk customer the win-back reward (LoyaltyProgram.winback_reward) as a gift
    and email it, once per `winback_every_days`. Nothing is sent when no reward is set, when
    the customer doesn't accept marketing or was erased, or when they had an offer within the
    period. The offer is on the timeline (`winback_sent`), keyed by customer and day."""
    now = now or timezone.now()
    program = program_get()
    reward = program.winback_reward
    if reward is None or not customer.accepts_marketing or customer.erased_at:
        return None
    since = now - dt.timedelta(days=program.winback_every_days)
    if Activity.objects.filter(customer=customer, kind=Activity.Kind.WINBACK_SENT,
                               occurred_at__gt=since).exists():
        return None
    key = f"winback:{customer.pk}:{now.date().isoformat()}"
    with transaction.atomic():
        redemption = voucher_grant(customer=customer, reward=reward, key=key, now=now,
                                   notify=False)
        activity_record(
            customer=customer, kind=Activity.Kind.WINBACK_SENT, occurred_at=now, key=key,
            reference=redemption.code,
            data={"reward": reward.name, "code": redemption.code,
                  "expires_at": redemption.expires_at.isoformat()},
        )
        from loyalty.tasks import winback_email_task

        winback_email_task.delay_on_commit(redemption.pk)
    return redemption


def winback_for_stage_change(*, customer: Customer, to_stage: str,
                             now: dt.datetime | None = None) -> Redemption | None:
    """`winback_for_stage_changes` for one customer: only becoming at risk earns an offer."""
    return next(iter(winback_for_stage_changes(
        changes=[StageChange(customer, "", to_stage)], now=now)), None)


def winback_for_stage_changes(*, changes: list[StageChange], now: dt.datetime | None = None
                              ) -> list[Redemption]:
    """The loyalty side of `customers_stage_changed`: each customer who became at risk gets an
    offer (`winback_offer`, one by one: few customers a day become at risk, and each offer is
    a voucher, a timeline row and an email). The offers given."""
    return [redemption for change in changes if change.to_stage == Stage.AT_RISK
            and (redemption := winback_offer(customer=change.customer, now=now))]
