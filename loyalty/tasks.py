"""Loyalty's background work: thin tasks that load by id and call one service."""

from celery import shared_task
from django.db import OperationalError

RETRY = {
    "acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (OperationalError,),
    "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5,
}


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def tier_up_email_task(change_id: int) -> None:
    """Email the customer that they reached a tier. Sent once per tier change (the change's
    id is the cause); nothing is sent to erased customers or without an address."""
    from loyalty.services.emails import tier_up_email_send

    tier_up_email_send(change_id=change_id)


@shared_task(**RETRY, soft_time_limit=1800, time_limit=1900)
def tiers_recalculate_task() -> None:
    """After tiers were edited: move up who now qualifies (never down) and refresh names."""
    from loyalty.services import tiers_recalculate

    tiers_recalculate()


@shared_task(**RETRY, soft_time_limit=3600, time_limit=3700)
def tiers_reevaluate_task() -> None:
    """The re-evaluation at period end (beat schedule "loyalty: re-evaluate tiers")."""
    from loyalty.services import tiers_reevaluate

    tiers_reevaluate()
