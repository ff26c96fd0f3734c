"""Thin Celery tasks of the advocacy app: load by id, call one service."""

from celery import shared_task
from django.db import OperationalError

RETRY = {
    "acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (OperationalError,),
    "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5,
    "soft_time_limit": 60, "time_limit": 90,
}


# Referrals ----------------------------------------------------------------------------------

@shared_task(**RETRY)
def referral_friend_email_task(referral_id: int) -> None:
    """Email a referred friend their voucher code. A retry after a sent email may send it
    again (email has no transaction); the code in it is the same."""
    from referrals.services.emails import referral_friend_email_send

    referral_friend_email_send(referral_id=referral_id)


@shared_task(**RETRY)
def referrals_reward_due_task() -> int:
    """Reward the referrals whose hold has passed (periodic). Idempotent: see the service."""
    from referrals.services import referrals_reward_due

    return referrals_reward_due()


@shared_task(**RETRY)
def referral_flagged_alert_task(referral_id: int) -> None:
    """Tell staff (settings.STAFF_ALERT_EMAIL) a referral waits for review."""
    from referrals.services.emails import referral_flagged_alert_send

    referral_flagged_alert_send(referral_id=referral_id)
