"""The win-back email, sent by a worker after the offer's transaction commits."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError, OSError),
    retry_backoff=True, retry_backoff_max=600, max_retries=5, soft_time_limit=60, time_limit=90,
)
def winback_email_task(redemption_id: int) -> None:
    """Email the win-back voucher. A retry after a send error may send it twice (SMTP has no
    idempotency), which is the lesser evil than never."""
    from kernel.emails import email_send
    from loyalty.models import Redemption

    redemption = (Redemption.objects.select_related("account__customer", "reward")
                  .filter(pk=redemption_id).first())
    if redemption is None:
        return
    customer = redemption.account.customer
    if not customer.accepts_marketing or customer.erased_at:
        return
    email_send(
        to=customer.email, template="loyalty/emails/winback", locale=customer.locale,
        context={"customer": customer, "reward": redemption.reward, "code": redemption.code,
                 "expires_at": redemption.expires_at},
    )
