"""Thin Celery tasks for NPS: each loads by id and calls one service or sends one email."""

from celery import shared_task
from django.db import OperationalError

RETRY = {
    "acks_late": True, "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, ConnectionError, OSError), "retry_backoff": True,
    "retry_backoff_max": 600, "max_retries": 6, "soft_time_limit": 60, "time_limit": 90,
}


@shared_task(name="referrals.nps_invitations_send_due", **RETRY)
def nps_invitations_send_due_task() -> int:
    """The periodic task: invite customers for the orders that are due (idempotent)."""
    from referrals.nps.services import nps_invitations_create_due

    return nps_invitations_create_due()


@shared_task(name="referrals.nps_invitation_send", **RETRY)
def nps_invitation_send_task(invitation_id: int) -> None:
    """Email one invitation with its eleven score links, unless it already went out."""
    from referrals.nps.emails import nps_invitation_email_send

    nps_invitation_email_send(invitation_id=invitation_id)


@shared_task(name="referrals.nps_follow_up_alert", **RETRY)
def nps_follow_up_alert_task(follow_up_id: int) -> None:
    """Tell the staff address a detractor answered and a follow-up case is open."""
    from referrals.nps.emails import nps_follow_up_alert_send

    nps_follow_up_alert_send(follow_up_id=follow_up_id)
