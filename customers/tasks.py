from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError,),
    retry_backoff=True, retry_backoff_max=300, max_retries=8, soft_time_limit=240,
    time_limit=300,
)
def deliveries_apply_task() -> None:
    """Apply the received webhook deliveries, in batches. Queued when a delivery arrives (once
    per batch, see deliveries_wake) and every minute by beat, in case a wake-up was lost.
    Safe to run twice or at once: each batch locks its deliveries and applies them once."""
    from customers.services import deliveries_apply

    deliveries_apply()


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
    soft_time_limit=30, time_limit=45,
)
def outbound_delivery_send_task(self, delivery_id: int) -> None:
    """Send one outbound webhook delivery; if it is still pending, try again after its
    backoff. The service logs every attempt and gives up after MAX_ATTEMPTS. (Without a
    broker, tasks run inline and `outbound_deliveries_due_task` sends the retries.)"""
    from customers.models import OutboundDelivery
    from customers.webhooks_out import outbound_delivery_attempt

    delivery = outbound_delivery_attempt(delivery_id=delivery_id)
    if self.request.is_eager:
        return  # no broker to wait on: the due-deliveries sweep sends the retry
    if delivery.status == OutboundDelivery.Status.PENDING and delivery.next_attempt_at:
        countdown = (delivery.next_attempt_at - timezone.now()).total_seconds()
        raise self.retry(countdown=max(1, min(countdown, 6 * 3600)))


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3000, time_limit=3300,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def segments_recompute_task() -> None:
    """The nightly recompute of stages, RFM scores, CLV and segment memberships."""
    from customers.services import segments_recompute

    segments_recompute()


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=60, time_limit=90)
def outbound_deliveries_due_task() -> None:
    """Queue outbound webhook deliveries whose retry is due (if their task was lost)."""
    from customers.webhooks_out import outbound_deliveries_due

    outbound_deliveries_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=5, soft_time_limit=60, time_limit=90)
def signup_email_task(user_id: int, accepts_marketing: bool) -> None:
    """The e-mail a sign-up sends: the link that opens a new login, or, when the address
    already has an open one, a note saying so with the log-in and password-reset links."""
    from django.conf import settings
    from django.urls import reverse

    from customers.emails import email_send
    from customers.models import User
    from customers.services import signup_link

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    if user.is_active:
        email_send(to=user.email, template="customers/emails/signup_existing", context={
            "login_url": settings.SITE_URL + reverse("login"),
            "reset_url": settings.SITE_URL + reverse("password_reset")})
    else:
        email_send(to=user.email, template="customers/emails/signup_confirm", context={
            "link": signup_link(user=user, accepts_marketing=accepts_marketing)})
