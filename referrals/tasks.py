"""Thin Celery tasks of the advocacy app: load by id, call one service."""

from kernel.tasks import flywheel_task

# Referrals ----------------------------------------------------------------------------------

@flywheel_task(name="referrals.tasks.referral_friend_email_task")
def referral_friend_email_task(referral_id: int) -> None:
    """Email a referred friend their voucher code. A retry after a sent email may send it
    again (email has no transaction); the code in it is the same."""
    from referrals.services.emails import referral_friend_email_send

    referral_friend_email_send(referral_id=referral_id)


@flywheel_task(name="referrals.tasks.referrals_reward_due_task")
def referrals_reward_due_task() -> int:
    """Reward the referrals whose hold has passed (periodic). Idempotent: see the service."""
    from referrals.services import referrals_reward_due

    return referrals_reward_due()


@flywheel_task(name="referrals.tasks.referral_flagged_alert_task")
def referral_flagged_alert_task(referral_id: int) -> None:
    """Tell staff (settings.STAFF_ALERT_EMAIL) a referral waits for review."""
    from referrals.services.emails import referral_flagged_alert_send

    referral_flagged_alert_send(referral_id=referral_id)
