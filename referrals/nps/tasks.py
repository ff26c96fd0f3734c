"""Thin Celery tasks for NPS: each loads by id and calls one service or sends one email."""

from django.db import OperationalError

from kernel.tasks import flywheel_task

# Sending email: a mail server that is down or refuses the connection is retried too.
RETRY = {"retry_on": (OperationalError, ConnectionError, OSError), "max_retries": 6,
         "backoff_max": 600}


@flywheel_task(name="referrals.nps_invitations_send_due", **RETRY)
def nps_invitations_send_due_task() -> int:
    """The periodic task: invite customers for the orders that are due (idempotent)."""
    from referrals.nps.services import nps_invitations_create_due

    return nps_invitations_create_due()


@flywheel_task(name="referrals.nps_invitation_send", **RETRY)
def nps_invitation_send_task(invitation_id: int) -> None:
    """Email one invitation with its eleven score links, unless it already went out."""
    from referrals.nps.emails import nps_invitation_email_send

    nps_invitation_email_send(invitation_id=invitation_id)


@flywheel_task(name="referrals.nps_follow_up_alert", **RETRY)
def nps_follow_up_alert_task(follow_up_id: int) -> None:
    """Tell the staff address a detractor answered and a follow-up case is open."""
    from referrals.nps.emails import nps_follow_up_alert_send

    nps_follow_up_alert_send(follow_up_id=follow_up_id)
